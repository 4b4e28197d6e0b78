/**
 * A Node process hosting some of the benchmark's peers (several per process, so 200 fit on two cores).
 *
 * Started by bench/session_peers.py with one JSON argument: `{devHostUrl, wordIntervalMs}`.
 * Commands arrive as JSON lines on stdin: `{c: 'join', p, proto: 'site' | 'tutorial', role, session}`,
 * `{c: 'stream', p, times?}`, `{c: 'flood', p, count}` (site: `count` `connected` to the host at once),
 * `{c: 'close', p}`, `{c: 'exit'}`. Everything observed goes out as JSON lines on stdout (observe.mjs), plus
 * `{e: 'start', p}` when a join begins, `{e: 'joined', p, id}` when it resolved, `{e: 'streamed', p}` (after the
 * last of `times` streams), `{e: 'flooded', p}`, `{e: 'closing', p}` and `{e: 'error', p, message}`. Logs go to
 * stderr.
 */
import readline from 'node:readline';

import { fetchClientConfig } from '../../site/ably-client.js';
import { PHRASE } from '../../site/p2p.lib.server.js';
import { emit } from './observe.mjs';
import { SitePeer } from './site-peer.mjs';
import { TutorialPeer } from './tutorial-peer.mjs';

console.log = console.error; // stdout carries events only

const config = JSON.parse(process.argv[2]);
const { clientConfig } = await fetchClientConfig({ origin: config.devHostUrl });
const peers = new Map();

process.on('unhandledRejection', (error) =>
  emit({ e: 'error', p: null, message: `unhandled: ${error?.message ?? error}` }),
);

function peerFor(name) {
  const peer = peers.get(name);
  if (!peer) throw new Error(`no peer ${name} in this worker`);
  return peer;
}

async function join({ p, proto, role, session }) {
  // Both protocols stream the site's phrase (the tutorial text's too) at the same pace.
  const options = { ...config, phrase: PHRASE, clientConfig, role };
  const peer = proto === 'site' ? new SitePeer(p, session, options) : new TutorialPeer(p, session, options);
  peers.set(p, peer);
  emit({ e: 'start', p });
  emit({ e: 'joined', p, id: await peer.start() });
}

async function stream({ p, times = 1 }) {
  for (let i = 0; i < times; i += 1) await peerFor(p).stream();
  emit({ e: 'streamed', p });
}

async function flood({ p, count }) {
  await peerFor(p).flood(count);
  emit({ e: 'flooded', p });
}

function close({ p }) {
  emit({ e: 'closing', p });
  const peer = peerFor(p);
  peers.delete(p);
  return peer.close();
}

const commands = { join, stream, flood, close };

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  const command = JSON.parse(line);
  if (command.c === 'exit') {
    Promise.all([...peers.keys()].map((name) => close({ p: name }))).finally(() => process.exit(0));
    return;
  }
  Promise.resolve()
    .then(() => commands[command.c](command))
    .catch((error) => emit({ e: 'error', p: command.p ?? null, message: error?.stack ?? String(error) }));
});
input.on('close', () => process.exit(0));
emit({ e: 'ready' });
