// Token renewal through the app's real token endpoint (the dev host runs api/ in-process, with the emulator):
// a page that sends its `peer` secret keeps its clientId, and so its place in the session, when its token
// expires; without it, the renewed token names another clientId and ably-js fails the connection (40102).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Ably from 'ably';

import { newPeerSecret } from '../../site/session-id.js';
import { createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

/** `python -m devserver --emulator --port 0`, with the site's and the emulator's URLs from its output. */
async function startDevHost() {
  const child = spawn(PYTHON, ['-m', 'devserver', '--emulator', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ABLY_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    output += chunk;
  });
  const ready = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const site = /Open (http:\/\/\S+?)\/?$/m.exec(output);
      const emulator = /Emulator: (http:\/\/\S+)/.exec(output);
      if (site && emulator) resolve({ site: site[1], emulator: emulator[1] });
    });
    child.once('exit', (code) => reject(new Error(`the dev host exited (${code}):\n${output}`)));
  });
  try {
    return { child, ...(await within(ready, { what: "the dev host's Open line", timeoutMs: 20_000 })) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

describe("token renewal through the app's token endpoint", () => {
  let devHost;

  before(async () => {
    devHost = await startDevHost();
  });
  after(async () => {
    if (!devHost) return;
    const exited = new Promise((resolve) => devHost.child.once('exit', resolve));
    devHost.child.kill('SIGTERM');
    await within(exited, { what: 'the dev host to exit', timeoutMs: 5_000 }).catch(() => devHost.child.kill('SIGKILL'));
  });

  /** An Ably client as index.js builds it: token requests from /api/createTokenRequest through an authCallback. */
  function realtimeFor(t, sessionId, { peer } = {}) {
    const query = new URLSearchParams({ session: sessionId, ...(peer ? { peer } : {}) });
    const realtime = new Ably.Realtime({
      endpoint: '127.0.0.1',
      port: Number(new URL(devHost.emulator).port),
      tls: false,
      transports: ['web_socket'],
      logLevel: 0,
      authCallback: (_params, callback) => {
        fetch(`${devHost.site}/api/createTokenRequest?${query}`)
          .then((response) => response.json())
          .then(
            (tokenRequest) => callback(null, tokenRequest),
            (error) => callback(error, null),
          );
      },
    });
    t.after(() => realtime.close());
    return realtime;
  }

  async function expireTokens() {
    const response = await fetch(`${devHost.emulator}/_emulator/tokens/expire`, { method: 'POST' });
    assert.equal(response.status, 200);
  }

  test('a session whose tokens expire keeps every peer, its host and its words', async (t) => {
    const sessionId = uniqueName('renewal');
    const peer = (name) => {
      const created = createPeer((id, auth) => realtimeFor(t, id, auth), { sessionId, name });
      t.after(() => created.close());
      return created;
    };
    const hana = await peer('Hana').start();
    const jo = await peer('Jo').start();
    await hana.streamWords();
    await waitFor(() => jo.state.words.length === 9 && jo.state.players.length === 2, {
      what: 'Jo to have the phrase',
    });
    const clientIds = [hana.state.myClientId, jo.state.myClientId];
    const tokens = [hana, jo].map((each) => each.realtime.auth.tokenDetails.token);

    await expireTokens();
    for (const [index, each] of [hana, jo].entries()) {
      await waitFor(
        () =>
          each.realtime.connection.state === 'connected' && each.realtime.auth.tokenDetails?.token !== tokens[index],
        {
          what: `${each.state.friendlyName} to be connected with a renewed token (${each.realtime.connection.state})`,
        },
      );
    }
    await hana.streamWords();

    await waitFor(() => jo.state.words.length === 18, { what: 'Jo to have the second phrase' });
    assert.deepEqual(
      [hana, jo].map((each) => each.realtime.auth.clientId),
      clientIds,
    );
    assert.deepEqual(
      jo.state.players.map((player) => player.clientId),
      clientIds,
    );
    assert.equal(jo.state.hostClientId, clientIds[0]);
    for (const each of [hana, jo]) assert.deepEqual(each.errors, []);
  });

  test('a page that sends no peer secret gets another clientId on renewal, which ably-js refuses with 40102', async (t) => {
    const realtime = realtimeFor(t, uniqueName('no-peer'));
    await within(realtime.connection.whenState('connected'), { what: 'connecting' });

    await assert.rejects(within(realtime.auth.authorize(), { what: 'renewing' }), (error) => error.code === 40102);
  });

  test('two pages get different clientIds, each stable across renewals', async (t) => {
    const sessionId = uniqueName('two-pages');
    const [first, second] = [
      realtimeFor(t, sessionId, { peer: newPeerSecret() }),
      realtimeFor(t, sessionId, { peer: newPeerSecret() }),
    ];
    await within(Promise.all([first, second].map((client) => client.connection.whenState('connected'))), {
      what: 'connecting',
    });
    const before = [first.auth.clientId, second.auth.clientId];

    await within(Promise.all([first.auth.authorize(), second.auth.authorize()]), { what: 'renewing both' });

    assert.notEqual(before[0], before[1]);
    assert.deepEqual([first.auth.clientId, second.auth.clientId], before);
  });
});
