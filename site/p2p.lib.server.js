// The host's side of a session: answers each peer's `connected` with a snapshot, and streams the demo phrase.
// Only the elected host has one; a peer elected after the host left starts one with the words it mirrored.

export const PHRASE = 'The quick brown fox jumped over the lazy dog';
export const PHRASE_WORDS = PHRASE.split(' ');
export const WORD_INTERVAL_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class P2PServer {
  /**
   * @param {import('./p2p.js').PubSubClient} ably shared with this peer's P2PClient (connected already)
   * @param {{words?: string[], wordIntervalMs?: number, sleep?: (ms: number) => Promise<void>}} [options]
   *   `words`: the state taken over (what this peer mirrored as a client); the pacing of the word stream
   */
  constructor(ably, { words = [], wordIntervalMs = WORD_INTERVAL_MS, sleep: pause = sleep } = {}) {
    this.ably = ably;
    this.wordIntervalMs = wordIntervalMs;
    this.sleep = pause;
    this.stopped = false;
    this.streaming = null;

    this.state = { words: words.slice() };
  }

  /** Handle one received message with `P2PServer.handlers`; returns once any replies are published. */
  async onReceiveMessage(message) {
    if (this.stopped) return;
    await P2PServer.handlers[message.kind]?.call(this, message);
  }

  /** A plain copy of the state as it is now, safe to publish while the state keeps changing. */
  snapshot() {
    return { words: this.state.words.slice() };
  }

  /** True when a stream was cut short (by the previous host leaving): the phrase is not complete. */
  get streamUnfinished() {
    return this.state.words.length % PHRASE_WORDS.length !== 0;
  }

  /**
   * Send the phrase to every peer one word per message, `wordIntervalMs` apart (the tutorial's resilience demo).
   * Each word carries its index in the session's word list; an unfinished stream is completed, not restarted.
   * A second call while streaming returns the running stream. Stops early when the server is stopped.
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
      const index = this.state.words.length;
      const word = PHRASE_WORDS[index % PHRASE_WORDS.length];
      await this.ably.sendMessage({ kind: 'word', index, word });
      this.state.words.push(word);
    } while (this.streamUnfinished);
  }

  /** Stop hosting: handle nothing more and end a running stream after its current word. */
  stop() {
    this.stopped = true;
  }
}

/** One handler per kind the host receives, called with the server as `this`. */
P2PServer.handlers = {
  /** A peer joined (or lost track): send it the snapshot, on its inbox only. */
  async connected(message) {
    if (message.via !== 'inbox' || typeof message.from !== 'string' || !message.from) return;
    await this.ably.sendMessage({ kind: 'connection-acknowledged', ...this.snapshot() }, message.from);
  },
};
