// Every peer's side of a session (the host has one too): keeps the roster and the elected host from presence,
// announces itself to the host, and mirrors the host's state, accepting host messages from the host alone.
import { electHost, rosterFromPresence } from './p2p.roster.js';

/** Kinds only the host may send: a client drops them unless Ably says the sender is the current host. */
export const HOST_KINDS = new Set(['connection-acknowledged', 'word']);

/**
 * Merge words into `known` by index, so rewind, snapshot and replay together never repeat or skip one.
 * @param {string[]} known the contiguous words so far (index = position)
 * @param {Map<number, string>} pending words received ahead of a gap, by index; drained as the gap fills
 * @param {Array<[number, unknown]>} incoming `[index, word]` pairs; invalid ones are ignored
 * @returns {string[] | null} the new contiguous words, or null when nothing changed
 */
export function mergeWords(known, pending, incoming) {
  for (const [index, word] of incoming) {
    if (Number.isSafeInteger(index) && index >= known.length && typeof word === 'string' && !pending.has(index)) {
      pending.set(index, word);
    }
  }
  if (!pending.has(known.length)) return null;
  const words = known.slice();
  while (pending.has(words.length)) {
    const index = words.length;
    words.push(pending.get(index));
    pending.delete(index);
  }
  for (const index of pending.keys()) if (index < words.length) pending.delete(index);
  return words;
}

/** Status goes disconnected → awaiting-acknowledgement → acknowledged, and back to awaiting when the host changes. */
export class P2PClient {
  /**
   * @param {import('./p2p.js').Identity} identity
   * @param {string} uniqueId the session id
   * @param {import('./p2p.js').PubSubClient} ably
   * @param {{state?: object}} [options] `state`: the object to keep the state in (P2PSession passes a reactive one)
   */
  constructor(identity, uniqueId, ably, { state = {} } = {}) {
    this.identity = identity;
    this.uniqueId = uniqueId;
    this.ably = ably;
    this.state = Object.assign(state, {
      status: 'disconnected',
      receivedWords: '',
      words: [],
      players: [],
      hostClientId: null,
      myClientId: null,
    });
    this.pendingWords = new Map();
    this.announcedTo = null;
  }

  /**
   * Connect (the roster is known afterwards) and announce ourselves to the elected host. A second call does nothing
   * unless the first failed. Rejects with Ably's error, leaving the status disconnected.
   */
  async connect() {
    if (this.state.status !== 'disconnected') return;
    await this.ably.connect(this.identity, this.uniqueId);
    try {
      await this.announce();
    } catch (error) {
      this.state.status = 'disconnected';
      throw error;
    }
  }

  /**
   * Ask the current host for its snapshot (`connected` to its inbox). Status is awaiting until the answer comes.
   * Rejects with Ably's error if the request cannot be published; the next roster change then asks again.
   */
  async announce() {
    const host = this.state.hostClientId;
    if (!host) return;
    this.state.status = 'awaiting-acknowledgement';
    this.announcedTo = host;
    try {
      await this.ably.sendMessage({ kind: 'connected' }, host);
    } catch (error) {
      if (this.announcedTo === host) this.announcedTo = null;
      throw error;
    }
  }

  /**
   * Take a new presence set: the roster in join order and the elected host.
   * @returns {boolean} whether the host changed
   */
  applyPresence(members) {
    const myClientId = this.ably.metadata?.clientId ?? null;
    const hostClientId = electHost(members);
    this.state.myClientId = myClientId;
    this.state.players = rosterFromPresence(members).map(({ clientId, friendlyName }) => ({
      clientId,
      friendlyName,
      isHost: clientId === hostClientId,
      isMe: clientId === myClientId,
    }));
    const changed = hostClientId !== this.state.hostClientId;
    this.state.hostClientId = hostClientId;
    return changed;
  }

  /**
   * Whether this client should re-announce: it has connected, and the host it asked is not the current one
   * (or its continuity was lost, `force`).
   */
  needsAnnouncing(force = false) {
    if (this.state.status === 'disconnected' || !this.state.hostClientId) return false;
    return force || this.announcedTo !== this.state.hostClientId;
  }

  /**
   * Handle one message from a channel with `P2PClient.handlers`. (Presence changes and lost continuity are
   * routed by P2PSession to applyPresence() and announce().)
   */
  async onReceiveMessage(message) {
    if (HOST_KINDS.has(message.kind) && message.from !== this.state.hostClientId) return;
    await P2PClient.handlers[message.kind]?.call(this, message);
  }

  setWords(words) {
    this.state.words = words;
    this.state.receivedWords = words.join(' ');
  }
}

/** One handler per kind a client receives, called with the client as `this` (only from the host for HOST_KINDS). */
P2PClient.handlers = {
  /** The host's snapshot, on our inbox: everything streamed so far. */
  'connection-acknowledged'(message) {
    if (message.via !== 'inbox' || !Array.isArray(message.words)) return;
    const words = mergeWords(
      this.state.words,
      this.pendingWords,
      message.words.map((word, index) => [index, word]),
    );
    if (words) this.setWords(words);
    this.state.status = 'acknowledged';
  },

  /** One word of the stream, on the session channel. */
  word(message) {
    if (message.via !== 'session') return;
    const words = mergeWords(this.state.words, this.pendingWords, [[message.index, message.word]]);
    if (words) this.setWords(words);
  },
};
