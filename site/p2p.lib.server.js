// The host's side of a session: answers each peer's `connected` with a snapshot, and streams the demo phrase.
// Only the elected host has one; a peer elected after the host left starts one from the state it mirrored.
//
// The host's state comes in parts, one per feature of the session (p2p.session.js FEATURES): the word stream's
// WordStream below, bingo's BingoHost (bingo/host.js). Each part keeps its own state, publishes its own kinds and
// gives its fields of the snapshot; P2PServer answers `connected` with all of them in one message. What the host
// sends one peer goes through its HostSends (host-sends.js): sent again if Ably refuses it for a rate.
import { HostSends } from './host-sends.js';

export const PHRASE = 'The quick brown fox jumped over the lazy dog';
export const PHRASE_WORDS = PHRASE.split(' ');
export const WORD_INTERVAL_MS = 500;
// The host answers `connected` from one clientId at most once per interval; repeats within it share one answer.
export const CONNECTED_INTERVAL_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// kind, from and via: what every received message has before its payload.
const RECEIVED_FIELDS = 3;

/**
 * The phrase a newcomer needs from everything a peer has seen (`words` from index `base`): the current phrase,
 * or the last complete one, with the index of its first word. At most one phrase, however long the session.
 * @returns {{base: number, words: string[]}}
 */
export function currentPhrase(base, words) {
  const next = base + words.length;
  const phraseBase = next === 0 ? 0 : Math.floor((next - 1) / PHRASE_WORDS.length) * PHRASE_WORDS.length;
  return { base: phraseBase, words: words.slice(Math.max(0, phraseBase - base)) };
}

/**
 * The word stream's part of the host: the current phrase, and the stream that sends it one word at a time.
 * Built from what this peer mirrored (words from index `base`); an unfinished stream is completed, not restarted.
 */
export class WordStream {
  /**
   * @param {import('./p2p.js').PubSubClient} ably
   * @param {{base?: number, words?: string[], wordIntervalMs?: number, sleep?: (ms: number) => Promise<void>}}
   *   [options]
   */
  constructor(ably, { base = 0, words = [], wordIntervalMs = WORD_INTERVAL_MS, sleep: pause = sleep } = {}) {
    this.ably = ably;
    this.wordIntervalMs = wordIntervalMs;
    this.sleep = pause;
    this.stopped = false;
    this.streaming = null;
    this.state = currentPhrase(base, words);
  }

  /** Its fields of the snapshot: the current (or last) phrase and its first index. Under 1 KiB. */
  snapshot() {
    return { base: this.state.base, words: this.state.words.slice() };
  }

  /** True when a stream was cut short (by the previous host leaving): the phrase is not complete. */
  get streamUnfinished() {
    return this.state.words.length % PHRASE_WORDS.length !== 0;
  }

  /**
   * Send the phrase to every peer one word per message, `wordIntervalMs` apart (the tutorial's resilience demo).
   * Each word carries its index in the session's word list; an unfinished stream is completed, not restarted.
   * A second call while streaming returns the running stream. Stops early when stopped.
   */
  sendWordsAcrossMultipleMessages() {
    if (!this.streaming) {
      this.streaming = this.stream().finally(() => {
        this.streaming = null;
      });
    }
    return this.streaming;
  }

  async stream() {
    let first = true;
    do {
      if (!first) await this.sleep(this.wordIntervalMs);
      first = false;
      if (this.stopped) return;
      if (this.state.words.length === PHRASE_WORDS.length) this.state = { base: this.nextIndex, words: [] };
      const index = this.nextIndex;
      const word = PHRASE_WORDS[this.state.words.length];
      await this.ably.sendMessage({ kind: 'word', index, word });
      this.state.words.push(word);
    } while (this.streamUnfinished);
  }

  get nextIndex() {
    return this.state.base + this.state.words.length;
  }

  /** End a running stream after its current word. */
  stop() {
    this.stopped = true;
  }
}

export class P2PServer {
  /**
   * @param {import('./p2p.js').PubSubClient} ably shared with this peer's P2PClient (connected already)
   * @param {{parts?: Record<string, {snapshot: () => object, stop: () => void, playersChanged?: (players:
   *   object[]) => void}>, connectedIntervalMs?: number, now?: () => number, delay?: (ms: number) => Promise<void>,
   *   base?: number, words?: string[], wordIntervalMs?: number, sleep?: (ms: number) => Promise<void>}} [options]
   *   `parts`: the host's state, one part per feature, by name (P2PSession builds them from what it mirrored);
   *   without it, the word stream alone, from `base`, `words`, `wordIntervalMs` and `sleep` (the tutorial's server).
   *   How often one clientId's `connected` is answered, and the clock for it; `retryClock`: the clock of a message
   *   to one peer sent again (host-sends.js; tests pass a fake one).
   */
  constructor(
    ably,
    {
      parts,
      connectedIntervalMs = CONNECTED_INTERVAL_MS,
      now = Date.now,
      delay = sleep,
      retryClock = {},
      ...wordOptions
    } = {},
  ) {
    this.ably = ably;
    this.parts = parts ?? { words: new WordStream(ably, wordOptions) };
    this.connectedIntervalMs = connectedIntervalMs;
    this.now = now;
    this.delay = delay;
    this.stopped = false;
    // clientId → {at, trailing}: when its `connected` was last answered, and the coalesced answer still to come.
    // In answer order, so entries older than the interval are dropped from the front.
    this.answered = new Map();
    // The roster's clientIds, once told (playersChanged): a message refused for a rate goes again while its peer is
    // in it. Until then (the tutorial's server, with no roster), while this peer hosts.
    this.players = null;
    this.sends = new HostSends(ably, {
      goOn: (clientId) => !this.stopped && (this.players?.has(clientId) ?? true),
      ...retryClock,
    });
  }

  /**
   * A peer asked for the snapshot (`connected`, on this host's inbox, no payload): answer it on the peer's inbox.
   * Resolves once the answer is published; a `connected` with a payload or without a sender is not answered.
   */
  async onConnected(message) {
    if (this.stopped || typeof message.from !== 'string' || !message.from) return;
    if (Object.keys(message).length !== RECEIVED_FIELDS) return;
    await this.answerConnected(message.from);
  }

  /** A plain copy of what a newcomer (or the next host) needs: every part's fields, in one object. */
  snapshot() {
    return Object.assign({}, ...Object.values(this.parts).map((part) => part.snapshot()));
  }

  /** The word stream's: true when the previous host left its stream unfinished. */
  get streamUnfinished() {
    return this.parts.words.streamUnfinished;
  }

  /** The word stream's: send the phrase to everyone (WordStream.sendWordsAcrossMultipleMessages). */
  sendWordsAcrossMultipleMessages() {
    return this.parts.words.sendWordsAcrossMultipleMessages();
  }

  /** The roster changed (or this peer just became the host): tell the parts that care, e.g. to deal a newcomer in. */
  playersChanged(players) {
    if (this.stopped) return;
    this.players = new Set(players.map(({ clientId }) => clientId));
    for (const part of Object.values(this.parts)) part.playersChanged?.(players);
  }

  /**
   * Send `clientId` the snapshot, at most once per `connectedIntervalMs`: a repeat within the interval is answered
   * once when it ends (with the state as it is then), and further repeats share that answer.
   */
  answerConnected(clientId) {
    const now = this.now();
    for (const [id, entry] of this.answered) {
      if (entry.trailing || now - entry.at < this.connectedIntervalMs) break;
      this.answered.delete(id);
    }
    const entry = this.answered.get(clientId);
    if (!entry) {
      this.answered.set(clientId, { at: now, trailing: null });
      return this.sendSnapshot(clientId);
    }
    if (!entry.trailing) {
      entry.trailing = this.delay(entry.at + this.connectedIntervalMs - now).then(() => {
        this.answered.delete(clientId);
        this.answered.set(clientId, { at: this.now(), trailing: null });
        return this.stopped ? undefined : this.sendSnapshot(clientId);
      });
    }
    return entry.trailing;
  }

  /** The snapshot as it is when sent: one sent again after a refusal carries the latest state. */
  sendSnapshot(clientId) {
    return this.sendTo(clientId, 'connection-acknowledged', () => this.snapshot());
  }

  /**
   * Send `kind` to one peer's inbox, again if Ably refuses it for a rate, while the peer is in the roster and this
   * peer hosts (HostSends.send: `payload` may be a function, called at each try).
   */
  sendTo(clientId, kind, payload) {
    return this.sends.send(clientId, kind, payload);
  }

  /** Stop hosting: handle nothing more, and stop every part (a running stream ends after its current word). */
  stop() {
    this.stopped = true;
    for (const part of Object.values(this.parts)) part.stop();
  }
}
