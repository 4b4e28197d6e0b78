/**
 * Some of the session benchmark's peers in one Node process, forked by session.mjs (argument: its JSON, for
 * `devHostUrl`). Both kinds use the site's Ably client (tokens from the dev host), so only the protocols differ:
 * `SitePeer` runs `P2PSession` (watched through its `reactive` hook), `TutorialPeer` bench/tutorial/ (its roster the
 * host's `serverState.players`). Commands over IPC: `join {p, proto, role, session, interval}`, `call {p, method,
 * args}` (`stream`, `close`; site: `flood`, `playBingo`), `exit`. Events over IPC, `{e, p, t, v}` (`t`: wall-clock
 * ms): ready, start, joined, connected, roster (`add`, `del`), host, status, word, sent, call, called, won, error.
 */
import { createAblyClient, fetchClientConfig, loadAbly } from '../../site/ably-client.js';
import { completeLine } from '../../site/bingo/rules.js';
import { PHRASE } from '../../site/p2p.lib.server.js';
import { P2PSession } from '../../site/p2p.session.js';
import { newPeerSecret } from '../../site/session-id.js';
import { TutorialPeer as Tutorial } from '../tutorial/app.js';

console.log = console.error; // stdout carries session.mjs's answer only
const emit = (event) => process.send({ ...event, t: performance.timeOrigin + performance.now() });
const { devHostUrl } = JSON.parse(process.argv[2]);
const [Ably, { clientConfig }] = await Promise.all([loadAbly(), fetchClientConfig({ origin: devHostUrl })]);
const peers = new Map();

/** What both kinds share: an Ably client reporting its first connection, a roster reporting only what changed (so
 * N peers × N joins stay cheap), and reporting each word as it is sent. */
class Peer {
  constructor(name, sessionId) {
    Object.assign(this, { name, sessionId, ids: new Set(), last: {}, wordsSeen: 0 });
  }

  realtime(options) {
    const realtime = createAblyClient({ Ably, clientConfig, origin: devHostUrl, ...options });
    realtime.connection.once('connected', () => emit({ e: 'connected', p: this.name }));
    return realtime;
  }

  /** Some players joined (`add`) or left (`del`) the roster; `roster(ids)`: the whole roster as it is now. */
  moved(add, del) {
    const gone = del.filter((id) => this.ids.delete(id));
    const came = add.filter((id) => !this.ids.has(id) && this.ids.add(id));
    if (came.length || gone.length) emit({ e: 'roster', p: this.name, add: came, del: gone });
  }

  roster(ids) {
    const now = new Set(ids);
    this.moved(
      ids,
      [...this.ids].filter((id) => !now.has(id)),
    );
  }

  is(e, v) {
    if (this.last[e] !== v) emit({ e, p: this.name, v: (this.last[e] = v) });
  }

  reportSent(pubSub, index) {
    const sendMessage = pubSub.sendMessage.bind(pubSub);
    pubSub.sendMessage = (message, target) => {
      if (message.kind === 'word') emit({ e: 'sent', p: this.name, v: index(message) });
      return sendMessage(message, target);
    };
  }

  async stream(times) {
    for (let i = 0; i < times; i += 1) await this.streamOnce();
  }

  /** Resolves once the Ably connection is closed (its CLOSE frame sent and answered), or after 3 s. */
  closed(realtime) {
    if (['closed', 'failed', 'initialized'].includes(realtime?.connection?.state ?? 'closed')) return null;
    return new Promise((resolve) => {
      setTimeout(resolve, 3_000);
      realtime.connection.once('closed', resolve);
      realtime.connection.once('failed', resolve);
    });
  }
}

class SitePeer extends Peer {
  constructor(name, sessionId, { wordIntervalMs }) {
    super(name, sessionId);
    this.session = new P2PSession({
      sessionId,
      friendlyName: name,
      wordIntervalMs,
      reactive: (state) => this.observed(state),
      // As the page does: the session, and this peer's secret (token renewals keep the clientId).
      createRealtime: (id, { peer }) => this.realtime({ sessionId: id, secret: peer }),
    });
    this.session.on('error', ({ summary, error }) =>
      emit({ e: 'error', p: name, message: `${summary} ${error?.message ?? error}` }),
    );
    const mirror = this.session.mirrors.bingo;
    for (const kind of ['onCall', 'onCard', 'onWinner']) {
      const handle = mirror[kind].bind(mirror);
      mirror[kind] = (message) => this.bingo(handle(message));
    }
  }

  /** A bingo player: claims once its card has a line, as a player presses Bingo!; reports the winner shown. */
  bingo() {
    const { bingo, bingoCard: mine, bingoClaim } = this.session.state;
    if (bingo?.phase === 'won') this.is('won', bingo.calls.length);
    else if (mine?.round === bingo?.round && !bingoClaim && completeLine(mine.card, bingo.calls)) {
      this.session.mirrors.bingo.claim().catch((error) => emit({ e: 'error', p: this.name, message: String(error) }));
    }
  }

  /** The host's Play bingo, then the fastest pace the game allows. */
  async playBingo(paceMs) {
    await this.session.server.parts.bingo.startRound();
    await this.session.server.parts.bingo.setPace({ paceMs });
  }

  observed(state) {
    return new Proxy(state, {
      set: (target, key, value) => {
        target[key] = key === 'players' ? this.watchedPlayers(value) : value;
        if (key === 'players') this.roster(value.map((player) => player.clientId));
        else if (key === 'hostClientId') this.is('host', value);
        else if (key === 'status') this.is('status', value);
        else if (key === 'receivedWords') {
          this.wordsSeen = Math.max(this.wordsSeen, target.wordBase ?? 0);
          for (const end = (target.wordBase ?? 0) + (target.words?.length ?? 0); this.wordsSeen < end; ) {
            emit({ e: 'word', p: this.name, v: this.wordsSeen++ });
          }
        }
        return true;
      },
    });
  }

  /** The players list, reporting each splice's players in and out (O(1) per presence event, as the site's). */
  watchedPlayers(players) {
    const ids = (list) => list.map((player) => player.clientId);
    const splice = (...args) => {
      const removed = Array.prototype.splice.apply(players, args);
      this.moved(ids(args.slice(2)), ids(removed));
      return removed;
    };
    return new Proxy(players, {
      get: (target, key, receiver) => (key === 'splice' ? splice : Reflect.get(target, key, receiver)),
    });
  }

  /** Join: resolves with this peer's clientId once it is connected, present and has announced itself. */
  async start() {
    await this.session.start();
    this.reportSent(this.session.ably, (message) => message.index);
    return this.session.state.myClientId;
  }

  streamOnce() {
    return this.session.streamWords();
  }

  flood(count) {
    const to = this.session.state.hostClientId;
    return Promise.all(Array.from({ length: count }, () => this.session.send('connected', {}, { to })));
  }

  close() {
    const { realtime } = this.session;
    this.session.close();
    return this.closed(realtime);
  }
}

class TutorialPeer extends Peer {
  constructor(name, sessionId, { role, wordIntervalMs }) {
    super(name, sessionId);
    this.role = role;
    const secret = newPeerSecret();
    this.peer = new Tutorial({
      uniqueId: sessionId,
      friendlyName: name,
      serverOptions: { wordIntervalMs, phrase: PHRASE }, // the site's phrase, the tutorial text's too
      createRealtime: () => this.realtime({ sessionId, secret }),
    });
    const pubSub = this.peer.pubSubClient;
    const received = pubSub.onMessageReceivedCallback;
    pubSub.onMessageReceivedCallback = (message, metadata) => {
      received(message, metadata);
      this.afterMessage(message);
    };
    let sent = 0;
    this.reportSent(pubSub, () => sent++);
  }

  /** Read after every message, as the tutorial's page re-renders after each. */
  afterMessage(message) {
    const client = this.peer.p2pClient;
    if (!client) return;
    const players = client.serverState?.players;
    if (Array.isArray(players)) this.roster(players.map((player) => String(player?.clientId)));
    this.is('status', client.state.status);
    if (message?.kind === 'word') emit({ e: 'word', p: this.name, v: this.wordsSeen++ });
  }

  /** Host or join as the tutorial's buttons do; resolves with this peer's identity (a uint32, as a string). */
  async start() {
    await (this.role === 'host' ? this.peer.host() : this.peer.join());
    const { state, identity } = this.peer.p2pClient;
    this.is('status', state.status);
    if (this.role === 'host') this.is('host', String(identity.clientId));
    return String(identity.clientId);
  }

  streamOnce() {
    return this.peer.p2pServer.sendWordsAcrossMultipleMessages();
  }

  close() {
    this.peer.close();
    return this.closed(this.peer.pubSubClient.realtime);
  }
}

const commands = {
  async join({ p, proto, role, session, interval }) {
    const peer = new (proto === 'site' ? SitePeer : TutorialPeer)(p, session, { role, wordIntervalMs: interval });
    peers.set(p, peer);
    emit({ e: 'start', p });
    emit({ e: 'joined', p, v: await peer.start() });
  },
  async call({ p, method, args }) {
    emit({ e: 'call', p, v: method });
    await peers.get(p)[method](...args);
    emit({ e: 'called', p, v: method });
  },
  exit: () => Promise.all([...peers.values()].map((peer) => peer.close())).finally(() => process.exit(0)),
};

process.on('unhandledRejection', (error) =>
  emit({ e: 'error', p: null, message: `unhandled: ${error?.message ?? error}` }),
);
process.on('message', (command) =>
  Promise.resolve()
    .then(() => commands[command.c](command))
    .catch((error) => emit({ e: 'error', p: command.p ?? null, message: error?.stack ?? String(error) })),
);
process.on('disconnect', () => process.exit(0));
emit({ e: 'ready' });
