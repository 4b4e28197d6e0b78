// The host's connection blips, with real ably-js against the emulator: a resumed connection changes nothing
// anybody sees; one that comes back without continuity re-enters presence by itself (ably-js, RTP17) as a later
// joiner, so the next earliest player hosts and the old host becomes a guest that mirrors the new host's state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { nextEvent, waitFor } from './support/waiting.mjs';

describe('the host on a blip, on the emulator', () => {
  let emulator;
  let clients = 0;

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  async function join(t, sessionId, name) {
    clients += 1;
    const clientId = `${name}-${process.pid}-${clients}`;
    const created = createPeer(
      () =>
        emulator.realtime(
          { clientId, capability: appCapability(sessionId, clientId), ably: { disconnectedRetryTimeout: 200 } },
          t,
        ),
      { sessionId, name, wordIntervalMs: 20 },
    );
    t.after(() => created.close());
    return created.start();
  }

  async function everyoneSees(peers, names, host) {
    for (const each of peers) {
      await waitFor(
        () =>
          each.state.status === 'acknowledged' &&
          each.rosterNames().join() === names.join() &&
          each.state.players[0]?.friendlyName === host,
        {
          what: `${each.state.friendlyName} to see ${names.join(', ')} hosted by ${host} (sees ${each.rosterNames()})`,
        },
      );
    }
  }

  /** Cut the host's transport; resolves with the connection's next `connected` change. */
  async function blip(peer, { forget }) {
    const reconnected = nextEvent(peer.realtime.connection, 'connected', { what: 'the host to reconnect' });
    await emulator.dropConnection(peer.realtime.connection.id, { forget });
    return reconnected;
  }

  test('a host whose connection resumes stays host, and nobody sees any change', async (t) => {
    const session = uniqueName('blip-resume');
    const hana = await join(t, session, 'Hana');
    const jo = await join(t, session, 'Jo');
    const kim = await join(t, session, 'Kim');
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim'], 'Hana');
    const connectionId = hana.realtime.connection.id;
    const seen = [hana, jo, kim].map((each) => each.hostChanges.length);

    const change = await blip(hana, { forget: false });
    await hana.streamWords();

    assert.equal(hana.realtime.connection.id, connectionId, 'resumed, same connection');
    assert.equal(change.reason ?? null, null);
    for (const each of [jo, kim]) await waitFor(() => each.state.receivedWords === PHRASE, { what: 'the phrase' });
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim'], 'Hana');
    assert.deepEqual(
      [hana, jo, kim].map((each) => each.hostChanges.length),
      seen,
    );
    for (const each of [hana, jo, kim]) assert.deepEqual(each.errors, []);
  });

  test('a host back without continuity re-enters as the latest joiner: the next earliest hosts, everyone agrees', async (t) => {
    const session = uniqueName('blip-lost');
    const hana = await join(t, session, 'Hana');
    const jo = await join(t, session, 'Jo');
    const kim = await join(t, session, 'Kim');
    await hana.streamWords();
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim'], 'Hana');

    const change = await blip(hana, { forget: true });

    assert.equal(change.reason?.code, 80008);
    await everyoneSees([hana, jo, kim], ['Jo', 'Kim', 'Hana'], 'Jo');
    assert.deepEqual(
      [hana, jo, kim].map((each) => each.state.isHost),
      [false, true, false],
    );
    assert.deepEqual(hana.hostChanges.at(-1), {
      hostClientId: jo.clientId(),
      previousHostClientId: hana.clientId(),
      isHost: false,
    });
    for (const each of [hana, jo, kim]) {
      assert.equal(each.state.receivedWords, PHRASE);
      assert.deepEqual(each.errors, []);
    }
    await assert.rejects(hana.streamWords(), /Only the host can stream words/);
  });
});
