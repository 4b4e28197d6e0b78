/**
 * A Node process hosting some of the session benchmark's peers (bench/peers/peers.mjs), started by
 * bench/session_peers.py with one JSON argument: `{devHostUrl}`.
 *
 * Commands arrive as JSON lines on stdin: `{c: 'join', p, proto: 'site' | 'tutorial', role, session, interval}`
 * (ms between words), `{c: 'stream', p, times}`, `{c: 'flood', p, count}` (site: `count` `connected` to the host
 * at once), `{c: 'close', p}`, `{c: 'exit'}`. Besides what the peers report, it prints `{e: 'ready'}`, then per peer
 * `start` when a join begins, `joined` (`v`: its id), `streamed` (after the last of `times` streams), `flooded`,
 * `closing` and `error` (`message`). Logs go to stderr.
 */
import readline from 'node:readline';

import { fetchClientConfig } from '../../site/ably-client.js';
import { PHRASE } from '../../site/p2p.lib.server.js';
import { emit, SitePeer, TutorialPeer } from './peers.mjs';

console.log = console.error; // stdout carries events only

const { devHostUrl } = JSON.parse(process.argv[2]);
const { clientConfig } = await fetchClientConfig({ origin: devHostUrl });
const peers = new Map();

process.on('unhandledRejection', (error) =>
  emit({ e: 'error', p: null, message: `unhandled: ${error?.message ?? error}` }),
);

function close({ p }) {
  emit({ e: 'closing', p });
  const peer = peers.get(p);
  peers.delete(p);
  return peer.close();
}

const commands = {
  async join({ p, proto, role, session, interval }) {
    // Both protocols stream the site's phrase (the tutorial text's too) at the same pace.
    const options = { devHostUrl, clientConfig, role, wordIntervalMs: interval, phrase: PHRASE };
    const peer = new (proto === 'site' ? SitePeer : TutorialPeer)(p, session, options);
    peers.set(p, peer);
    emit({ e: 'start', p });
    emit({ e: 'joined', p, v: await peer.start() });
  },
  async stream({ p, times }) {
    for (let i = 0; i < times; i += 1) await peers.get(p).stream();
    emit({ e: 'streamed', p });
  },
  async flood({ p, count }) {
    await peers.get(p).flood(count);
    emit({ e: 'flooded', p });
  },
  close,
  exit: () => Promise.all([...peers.keys()].map((p) => close({ p }))).finally(() => process.exit(0)),
};

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    const command = JSON.parse(line);
    Promise.resolve()
      .then(() => commands[command.c](command))
      .catch((error) => emit({ e: 'error', p: command.p ?? null, message: error?.stack ?? String(error) }));
  })
  .on('close', () => process.exit(0));
emit({ e: 'ready' });
