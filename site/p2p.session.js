// One peer in one session, as the UI sees it: wires the PubSubClient, this peer's P2PClient and, while this peer
// is the elected host, its P2PServer, and keeps everything the page shows in one reactive `state`.
//
// Host election is presence-based (p2p.roster.js): when the roster names this peer, it starts a P2PServer with
// the words it mirrored (and finishes a stream the previous host left unfinished); when it no longer does, the
// server stops. Hosting and joining are the same call, start(): the first to arrive hosts.
import { Identity, PubSubClient } from './p2p.js';
import { P2PClient } from './p2p.lib.client.js';
import { CONNECTED_INTERVAL_MS, P2PServer, WORD_INTERVAL_MS } from './p2p.lib.server.js';
import { newPeerSecret } from './session.js';

export const EVENTS = ['host-changed', 'error', 'resynced'];

export class P2PSession {
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
    this.identity = new Identity(friendlyName);
    this.sessionId = sessionId;
    this.serverOptions = { wordIntervalMs, connectedIntervalMs, ...(sleep ? { sleep } : {}) };
    this.listeners = new Map(EVENTS.map((event) => [event, new Set()]));
    this.server = null;

    this.state = reactive({ friendlyName: this.identity.friendlyName, isHost: false, streaming: false });
    const peer = newPeerSecret();
    this.ably = new PubSubClient((message) => this.onMessage(message), {
      createRealtime: (uniqueId) => createRealtime(uniqueId, { peer }),
    });
    this.client = new P2PClient(this.identity, sessionId, this.ably, { state: this.state });
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

  /** Leave the session now: close the connection (the others see the presence leave at once) and stop hosting. */
  close() {
    this.server?.stop();
    this.ably.close();
  }

  on(event, listener) {
    this.listenersOf(event).add(listener);
  }

  off(event, listener) {
    this.listenersOf(event).delete(listener);
  }

  listenersOf(event) {
    const listeners = this.listeners.get(event);
    if (!listeners) throw new Error(`Unknown P2PSession event ${JSON.stringify(event)}; known: ${EVENTS.join(', ')}`);
    return listeners;
  }

  emit(event, detail) {
    for (const listener of this.listeners.get(event)) listener(detail);
  }

  /** Route one message: presence → election (before anyone announces to the new host), then server and client. */
  onMessage(message) {
    if (message.via === 'presence') {
      const previousHostClientId = this.state.hostClientId;
      const hostChanged = message.event
        ? this.client.applyPresenceEvent(message.event)
        : this.client.applyPresence(message.members);
      if (hostChanged) this.onHostChanged(previousHostClientId);
      this.background(
        'Could not announce this peer to the new host.',
        this.client.needsAnnouncing() && this.client.announce(),
      );
      return;
    }
    if (message.via === 'connection') {
      this.background(
        'Could not ask the host for the session state again.',
        this.client.needsAnnouncing(true) &&
          this.client.announce().then(() => {
            this.emit('resynced', { reason: message.reason });
          }),
      );
      return;
    }
    this.background('Could not answer another peer.', this.server?.onReceiveMessage(message));
    this.background('Could not handle a message from the host.', this.client.onReceiveMessage(message));
  }

  /** Start or stop this peer's server to match the election, and tell the listeners. */
  onHostChanged(previousHostClientId) {
    const { hostClientId, myClientId } = this.state;
    const isHost = hostClientId !== null && hostClientId === myClientId;
    if (isHost && !this.server) {
      this.server = new P2PServer(this.ably, {
        ...this.serverOptions,
        base: this.state.wordBase,
        words: this.state.words,
      });
      if (this.server.streamUnfinished)
        this.background('Could not finish the word stream.', this.runStream(this.server));
    } else if (!isHost && this.server) {
      this.server.stop();
      this.server = null;
      this.state.streaming = false;
    }
    this.state.isHost = isHost;
    this.emit('host-changed', { hostClientId, previousHostClientId, isHost });
  }

  /** Report a background task's failure as an `error` event (the page shows it) instead of losing it. */
  background(summary, task) {
    if (!task) return;
    Promise.resolve(task).catch((error) => this.emit('error', { summary, error }));
  }
}
