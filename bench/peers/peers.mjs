/**
 * The session benchmark's two kinds of peer, both on the pinned ably-js with the site's Ably client
 * (site/ably-client.js: tokens over HTTP from the dev host's /api/createTokenRequest, retried as a browser's are),
 * so both pay the same for a token and the comparison is of the protocols alone:
 * - `SitePeer`: the site's own classes (`P2PSession`, site/p2p.session.js), watched through the `reactive` hook it
 *   offers Vue: a proxy that reports every field the session sets, and the players list's splices;
 * - `TutorialPeer`: the tutorial's protocol (bench/tutorial/), the baseline; its roster is the host's
 *   `serverState.players` as this peer last received it, read after every message, as the tutorial's page renders.
 *
 * What a peer is seen to do goes out as one JSON line per change on stdout: `{e, p, t, v}` with `e` one of
 * `connected` (token and WebSocket), `host`, `status`, `word` (word `v` became visible), `sent` (the host is about
 * to publish word `v`), or `{e: 'roster', p, t, add, del}`. `t` is wall-clock ms (comparable between processes).
 */
import { createAblyClient, loadAbly } from '../../site/ably-client.js';
import { P2PSession } from '../../site/p2p.session.js';
import { newPeerSecret } from '../../site/session-id.js';
import { TutorialPeer as Tutorial } from '../tutorial/app.js';

const Ably = await loadAbly(); // once per worker, as the page loads it
const CLOSE_WAIT_MS = 3_000;

export function emit(event) {
  process.stdout.write(`${JSON.stringify({ ...event, t: performance.timeOrigin + performance.now() })}\n`);
}

/** One peer's roster as a set, host and status, reporting only what changed (N peers × N joins stay cheap). */
class Watch {
  constructor(peer) {
    this.peer = peer;
    this.ids = new Set();
    this.last = {};
  }

  roster(ids) {
    const next = new Set(ids);
    this.moved(
      [...next],
      [...this.ids].filter((id) => !next.has(id)),
    );
  }

  /** Some players joined (`add`) or left (`del`) the roster, as one splice of the site's players list says. */
  moved(add, del) {
    const gone = del.filter((id) => this.ids.delete(id));
    const came = add.filter((id) => !this.ids.has(id) && this.ids.add(id));
    if (came.length || gone.length) emit({ e: 'roster', p: this.peer, add: came, del: gone });
  }

  is(e, v) {
    if (this.last[e] === v) return;
    this.last[e] = v;
    emit({ e, p: this.peer, v });
  }
}

function client(name, options) {
  const realtime = createAblyClient({ Ably, ...options });
  realtime.connection.once('connected', () => emit({ e: 'connected', p: name }));
  return realtime;
}

/** Resolves when the Ably client's connection is closed (its CLOSE frame sent and answered), or after 3 s. */
function whenClosed(realtime) {
  const state = realtime?.connection?.state;
  if (!realtime || ['closed', 'failed', 'initialized'].includes(state)) return Promise.resolve();
  return new Promise((resolve) => {
    setTimeout(resolve, CLOSE_WAIT_MS);
    realtime.connection.once('closed', resolve);
    realtime.connection.once('failed', resolve);
  });
}

/** Reports word `i` as sent before `sendMessage` publishes it. */
function reportingSent(pubSub, name, index) {
  const sendMessage = pubSub.sendMessage.bind(pubSub);
  pubSub.sendMessage = (message, target) => {
    if (message.kind === 'word') emit({ e: 'sent', p: name, v: index(message) });
    return sendMessage(message, target);
  };
}

export class SitePeer {
  constructor(name, sessionId, { devHostUrl, clientConfig, wordIntervalMs }) {
    this.name = name;
    this.watch = new Watch(name);
    this.wordsSeen = 0;
    this.session = new P2PSession({
      sessionId,
      friendlyName: name,
      wordIntervalMs,
      reactive: (state) => this.observed(state),
      // As the page does: the session, and this peer's secret (token renewals keep the clientId).
      createRealtime: (id, { peer }) => client(name, { clientConfig, sessionId: id, secret: peer, origin: devHostUrl }),
    });
    this.session.on('error', ({ summary, error }) =>
      emit({ e: 'error', p: name, message: `${summary} ${error?.message ?? error}` }),
    );
  }

  observed(state) {
    return new Proxy(state, {
      set: (target, key, value) => {
        target[key] = key === 'players' ? this.watchedPlayers(value) : value;
        if (key === 'players') this.watch.roster(value.map((player) => player.clientId));
        else if (key === 'hostClientId') this.watch.is('host', value);
        else if (key === 'status') this.watch.is('status', value);
        else if (key === 'receivedWords') {
          const base = target.wordBase ?? 0;
          this.wordsSeen = Math.max(this.wordsSeen, base);
          const next = base + (target.words?.length ?? 0);
          for (; this.wordsSeen < next; this.wordsSeen += 1) emit({ e: 'word', p: this.name, v: this.wordsSeen });
        }
        return true;
      },
    });
  }

  /** The players list, reporting each splice's players in and out (O(1) per presence event, as the site's). */
  watchedPlayers(players) {
    const { watch } = this;
    return new Proxy(players, {
      get(target, key, receiver) {
        if (key !== 'splice') return Reflect.get(target, key, receiver);
        return (...args) => {
          const removed = Array.prototype.splice.apply(target, args);
          const ids = (list) => list.map((player) => player.clientId);
          watch.moved(ids(args.slice(2)), ids(removed));
          return removed;
        };
      },
    });
  }

  /** Join: returns this peer's clientId once it is connected, present and has announced itself. */
  async start() {
    await this.session.start();
    reportingSent(this.session.ably, this.name, (message) => message.index);
    return this.session.state.myClientId;
  }

  stream() {
    return this.session.streamWords();
  }

  /** A hostile player: `count` `connected` to the host's inbox at once (the host should coalesce them). */
  flood(count) {
    const to = this.session.state.hostClientId;
    return Promise.all(Array.from({ length: count }, () => this.session.send('connected', {}, { to })));
  }

  close() {
    const { realtime } = this.session;
    this.session.close();
    return whenClosed(realtime);
  }
}

export class TutorialPeer {
  constructor(name, sessionId, { devHostUrl, clientConfig, role, wordIntervalMs, phrase }) {
    this.name = name;
    this.role = role;
    this.watch = new Watch(name);
    this.wordsSeen = 0;
    let wordsSent = 0;
    const secret = newPeerSecret();
    this.peer = new Tutorial({
      uniqueId: sessionId,
      friendlyName: name,
      serverOptions: { wordIntervalMs, phrase },
      createRealtime: () => client(name, { clientConfig, sessionId, secret, origin: devHostUrl }),
    });
    const pubSub = this.peer.pubSubClient;
    const received = pubSub.onMessageReceivedCallback;
    pubSub.onMessageReceivedCallback = (message, metadata) => {
      received(message, metadata);
      this.afterMessage(message);
    };
    reportingSent(pubSub, name, () => wordsSent++);
  }

  afterMessage(message) {
    const client = this.peer.p2pClient;
    if (!client) return;
    const players = client.serverState?.players;
    if (Array.isArray(players)) this.watch.roster(players.map((player) => String(player?.clientId)));
    this.watch.is('status', client.state.status);
    if (message?.kind === 'word') emit({ e: 'word', p: this.name, v: this.wordsSeen++ });
  }

  /** Host or join as the tutorial's buttons do; returns this peer's identity (a uint32, as a string). */
  async start() {
    await (this.role === 'host' ? this.peer.host() : this.peer.join());
    const { state, identity } = this.peer.p2pClient;
    this.watch.is('status', state.status);
    if (this.role === 'host') this.watch.is('host', String(identity.clientId));
    return String(identity.clientId);
  }

  stream() {
    if (!this.peer.p2pServer) throw new Error('Only the host can stream words.');
    return this.peer.p2pServer.sendWordsAcrossMultipleMessages();
  }

  close() {
    this.peer.close();
    return whenClosed(this.peer.pubSubClient.realtime);
  }
}
