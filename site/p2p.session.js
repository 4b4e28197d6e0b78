// One peer in one session, as the UI sees it: wires the PubSubClient, this peer's P2PClient and, while this peer
// is the elected host, its P2PServer, and keeps everything the page shows in one reactive `state`.
//
// Host election is presence-based (p2p.roster.js): when the roster names this peer, it starts a P2PServer from
// the state it mirrored (and finishes a stream the previous host left unfinished); when it no longer does, the
// server stops. Hosting and joining are the same call, start(): the first to arrive hosts.
//
// What the host holds comes in features (FEATURES below: the word stream, bingo), each built the same way: its
// message kinds (rows of MESSAGE_KINDS), a mirror every peer keeps of the host's state, and the host's part, made
// from that mirror when this peer is elected, which gives its fields of the snapshot a newcomer gets
// (docs/build-a-game.md). `session.send(kind, payload, { to })` sends a message of any kind.
import { BINGO } from './bingo/feature.js';
import { Emitter } from './emitter.js';
import { receiveChat } from './p2p.chat.js';
import { Identity, PubSubClient } from './p2p.js';
import { P2PClient, WordMirror } from './p2p.lib.client.js';
import { CONNECTED_INTERVAL_MS, P2PServer, WORD_INTERVAL_MS, WordStream } from './p2p.lib.server.js';
import { newPeerSecret } from './session-id.js';

export const EVENTS = Object.freeze(['host-changed', 'error', 'resynced']);

/**
 * The word stream, the tutorial's demo, as a feature (the shape every feature has; bingo/feature.js is another):
 * - `name`: its key in `session.mirrors` and in the host's `session.server.parts`;
 * - `kinds`: its rows of MESSAGE_KINDS;
 * - `mirror(session)`: every peer's copy of the host's state, kept in `session.state`: `restore(snapshot)` takes its
 *   fields of the host's snapshot, `accepts(snapshot)` (optional) drops a snapshot whole, `hostChanged()`
 *   (optional) is called when the host changes;
 * - `host(session, mirror)`: the host's part, made from the mirror when this peer is elected (so the next host
 *   goes on from where the last one was): `snapshot()` gives its fields of the snapshot, `stop()` ends it when this
 *   peer stops hosting, `playersChanged(players)` (optional) hears every roster change.
 */
export const WORD_STREAM = {
  name: 'words',
  kinds: {
    /** One word of the stream, `{index, word}`. */
    word: {
      sender: 'host',
      channel: 'session',
      handle: (session, message) => session.mirrors.words.onWord(message),
    },
  },
  mirror: (session) => new WordMirror(session.state),
  host: (session, mirror) => new WordStream(session.ably, { ...session.wordOptions, ...mirror.taken() }),
};

/** The session's features, in the order their mirrors take the snapshot. */
export const FEATURES = [WORD_STREAM, BINGO];

/**
 * The session's message kinds (docs/protocol.md), one row each: the session's own, then each feature's; add yours
 * to a feature's `kinds` (docs/adding-a-message-kind.md).
 * - `sender`: 'host': receivers drop it unless Ably says the elected host sent it; 'anyone': any player may.
 * - `channel`: 'session': to everyone, on `p2p:<id>`; 'inbox': to one player, on its inbox (`send(..., { to })`).
 *   A message that arrives on the other channel is dropped.
 * - `handle(session, message)`: what every receiver does with it; `message` is `{...payload, kind, from, via}`,
 *   `from` the sender's clientId as Ably stamped it. May return a promise; a failure is an `error` event.
 * Rows are looked up as own properties only: `__proto__`, `toString` and the like are unknown kinds.
 */
export const MESSAGE_KINDS = {
  __proto__: null,
  /** A peer asks the host for the snapshot (no payload); the host answers on the peer's inbox. */
  connected: {
    sender: 'anyone',
    channel: 'inbox',
    handle: (session, message) => session.server?.onConnected(message),
  },
  /** The host's snapshot: every feature's fields (the current phrase `{base, words}`, and `bingo`). */
  'connection-acknowledged': {
    sender: 'host',
    channel: 'inbox',
    handle: (session, message) => session.client.onSnapshot(message),
  },
  /** A line any player says to everyone, `{text}`: `state.chat`, with the sender's name from the roster. */
  chat: {
    sender: 'anyone',
    channel: 'session',
    handle: (session, message) => receiveChat(session, message),
  },
  ...Object.assign({}, ...FEATURES.map((feature) => feature.kinds)),
};

/** The row of `kind`, or null: never one inherited from Object.prototype. */
export function messageKind(kind) {
  return typeof kind === 'string' && Object.hasOwn(MESSAGE_KINDS, kind) ? MESSAGE_KINDS[kind] : null;
}

/** Events (`on(event, listener)`): `host-changed`, `error` ({summary, error}), `resynced` ({reason}). */
export class P2PSession extends Emitter {
  /**
   * @param {object} options
   * @param {string} options.sessionId a valid session id (session.js)
   * @param {string} [options.friendlyName] as typed; normalised, or `Player-<n>` when empty
   * @param {(sessionId: string, auth: {peer: string}) => object} options.createRealtime returns an Ably.Realtime
   *   authorised for the session, with `authParams: {session: sessionId, peer}` so token renewals keep the clientId
   * @param {<T extends object>(state: T) => T} [options.reactive] Vue's reactive(), so the page follows `state`
   * @param {number} [options.wordIntervalMs] pause between streamed words
   * @param {number} [options.connectedIntervalMs] while hosting, answer one peer's `connected` at most this often
   * @param {(ms: number) => Promise<void>} [options.sleep] how the stream pauses (tests pass a fake clock)
   */
  constructor({
    sessionId,
    friendlyName,
    createRealtime,
    reactive = (state) => state,
    wordIntervalMs = WORD_INTERVAL_MS,
    connectedIntervalMs = CONNECTED_INTERVAL_MS,
    sleep,
  }) {
    super(EVENTS);
    this.identity = new Identity(friendlyName);
    this.sessionId = sessionId;
    this.wordOptions = { wordIntervalMs, ...(sleep ? { sleep } : {}) };
    this.connectedIntervalMs = connectedIntervalMs;
    this.server = null;

    this.state = reactive({ friendlyName: this.identity.friendlyName, isHost: false, streaming: false });
    const peer = newPeerSecret();
    this.ably = new PubSubClient({ createRealtime: (id) => createRealtime(id, { peer }) });
    this.ably.on('presence', (change) => this.onPresence(change));
    this.ably.on('continuity-lost', (detail) => this.onContinuityLost(detail));
    this.ably.on('message', (message) =>
      this.background(`Could not handle a ${JSON.stringify(message.kind)} message.`, this.receive(message)),
    );
    /** Every feature's mirror of the host's state, by name. */
    this.mirrors = Object.fromEntries(FEATURES.map((feature) => [feature.name, feature.mirror(this)]));
    this.client = new P2PClient(this.identity, sessionId, this.ably, { state: this.state, mirrors: this.mirrors });
  }

  /** The Ably client (null before start()), for the page's connection-state display. */
  get realtime() {
    return this.ably.realtime;
  }

  /**
   * Connect, enter presence, learn the roster (taking the host role if elected) and ask the host for its state.
   * Resolves with this session; rejects with Ably's error (the page shows it).
   */
  async start() {
    await this.client.connect();
    return this;
  }

  /**
   * Stream the phrase to every peer (host only). Resolves when the last word is sent; the same promise while a
   * stream runs. Rejects when this peer is not the host.
   */
  async streamWords() {
    if (!this.server) throw new Error('Only the host can stream words.');
    return this.runStream(this.server);
  }

  async runStream(server) {
    this.state.streaming = true;
    try {
      await server.sendWordsAcrossMultipleMessages();
    } finally {
      if (this.server === server || !this.server) this.state.streaming = false;
    }
  }

  /**
   * Send a message of a kind in MESSAGE_KINDS: to everyone for a session kind; for an inbox kind, to the one player
   * `to` names (a clientId, e.g. `state.hostClientId`). Resolves when Ably has accepted it (the host's message to
   * one peer: or when it is no longer worth sending again, host-sends.js); rejects with Ably's error, or at once for
   * an unknown kind, a `to` its channel does not take, or a host kind while not hosting.
   * @param {string} kind
   * @param {object} [payload] the message's fields; receivers overwrite `kind`, `from` and `via`
   * @param {{to?: string}} [options]
   */
  async send(kind, payload = {}, { to } = {}) {
    const row = messageKind(kind);
    if (!row) throw new Error(`Unknown message kind ${JSON.stringify(kind)}: add a row to MESSAGE_KINDS first.`);
    if (row.channel === 'inbox' && !to) throw new Error(`${kind} goes to one player's inbox: pass { to: clientId }.`);
    if (row.channel === 'session' && to !== undefined) throw new Error(`${kind} goes to everyone: pass no \`to\`.`);
    if (row.sender === 'host' && !this.server) throw new Error(`Only the host can send ${kind}.`);
    // The host's message to one peer (a bingo card, a verdict) goes again if refused for a rate (host-sends.js).
    if (row.sender === 'host' && to !== undefined) await this.server.sendTo(to, kind, payload);
    else await this.ably.sendMessage({ ...payload, kind }, to);
  }

  /** Leave the session now: close the connection (the others see the presence leave at once) and stop hosting. */
  close() {
    this.server?.stop();
    this.ably.close();
  }

  /**
   * Handle one received message with its row in MESSAGE_KINDS. Dropped: kinds with no row, messages on the other
   * channel than the row's, and host kinds from anyone but the elected host.
   */
  async receive(message) {
    const row = messageKind(message.kind);
    if (!row || message.via !== row.channel) return;
    if (row.sender === 'host' && (typeof message.from !== 'string' || message.from !== this.state.hostClientId)) return;
    await row.handle(this, message);
  }

  /**
   * The presence set or one change of it: the roster and the election, then announce to a new host (after a wait
   * that spreads a big roster's announces when the host changed, announce-pacing.js).
   */
  onPresence({ members, event }) {
    const previousHostClientId = this.state.hostClientId;
    const hostChanged = event ? this.client.applyPresenceEvent(event) : this.client.applyPresence(members);
    if (hostChanged) this.onHostChanged(previousHostClientId);
    else this.server?.playersChanged(this.state.players);
    const spread = hostChanged && previousHostClientId !== null;
    this.background(
      'Could not announce this peer to the new host.',
      this.client.needsAnnouncing() && this.client.announce({ spread }),
    );
  }

  /** A resume failed, so messages may have been missed: ask the host for its snapshot again. */
  onContinuityLost({ reason }) {
    this.background(
      'Could not ask the host for the session state again.',
      this.client.needsAnnouncing(true) &&
        this.client.announce().then(() => {
          this.emit('resynced', { reason });
        }),
    );
  }

  /** Start or stop this peer's server to match the election, and tell the listeners. */
  onHostChanged(previousHostClientId) {
    const { hostClientId, myClientId } = this.state;
    const isHost = hostClientId !== null && hostClientId === myClientId;
    if (isHost && !this.server) {
      const parts = FEATURES.map((feature) => [feature.name, feature.host(this, this.mirrors[feature.name])]);
      this.server = new P2PServer(this.ably, {
        parts: Object.fromEntries(parts),
        connectedIntervalMs: this.connectedIntervalMs,
      });
      if (this.server.streamUnfinished)
        this.background('Could not finish the word stream.', this.runStream(this.server));
      this.server.playersChanged(this.state.players);
    } else if (!isHost && this.server) {
      this.server.stop();
      this.server = null;
      this.state.streaming = false;
    }
    this.state.isHost = isHost;
    for (const mirror of Object.values(this.mirrors)) mirror.hostChanged?.();
    this.emit('host-changed', { hostClientId, previousHostClientId, isHost });
  }

  /** Report a background task's failure as an `error` event (the page shows it) instead of losing it. */
  background(summary, task) {
    if (!task) return;
    Promise.resolve(task).catch((error) => this.emit('error', { summary, error }));
  }
}
