// The host's side of a session: keeps the roster, acknowledges each peer, and streams the demo phrase.
import { normalizeFriendlyName } from './p2p.js';

export const PHRASE = 'The quick brown fox jumped over the lazy dog';
export const WORD_INTERVAL_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Only the peer that hosts has one. Its state is the truth every P2PClient mirrors as `serverState`. */
export class P2PServer {
  /**
   * @param {import('./p2p.js').Identity} identity
   * @param {string} uniqueId the session id
   * @param {import('./p2p.js').PubSubClient} ably shared with this peer's P2PClient
   * @param {{wordIntervalMs?: number, sleep?: (ms: number) => Promise<void>}} [options] pacing of the word stream
   */
  constructor(identity, uniqueId, ably, { wordIntervalMs = WORD_INTERVAL_MS, sleep: pause = sleep } = {}) {
    this.identity = identity;
    this.uniqueId = uniqueId;
    this.ably = ably;
    this.wordIntervalMs = wordIntervalMs;
    this.sleep = pause;

    this.state = { players: [] };
  }

  async connect() {
    await this.ably.connect(this.identity, this.uniqueId);
  }

  /** Handle one message from the channel; returns once any replies are published. */
  async onReceiveMessage(message) {
    switch (message.kind) {
      case 'connected':
        await this.onClientConnected(message);
        break;
      default:
        break;
    }
  }

  /**
   * Add the sender to the roster (once per Ably clientId: rewind and retries can repeat `connected`),
   * acknowledge it alone, then tell everyone the new roster.
   */
  async onClientConnected(message) {
    const clientId = message.metadata?.clientId;
    if (typeof clientId !== 'string' || !clientId) return;
    const friendlyName = normalizeFriendlyName(message.metadata.friendlyName) || 'Anonymous';

    const known = this.state.players.find((player) => player.clientId === clientId);
    if (known) known.friendlyName = friendlyName;
    else this.state.players.push({ clientId, friendlyName });

    const serverState = this.serverStateSnapshot();
    await this.ably.sendMessage({ kind: 'connection-acknowledged', serverState }, clientId);
    await this.ably.sendMessage({ kind: 'peer-status', serverState });
  }

  /** A plain copy of the state as it is now, safe to publish while the state keeps changing. */
  serverStateSnapshot() {
    return JSON.parse(JSON.stringify(this.state));
  }

  /** Send the phrase to every peer one word per message, `wordIntervalMs` apart (the tutorial's resilience demo). */
  async sendWordsAcrossMultipleMessages() {
    const words = PHRASE.split(' ');
    for (const [index, word] of words.entries()) {
      if (index > 0) await this.sleep(this.wordIntervalMs);
      await this.ably.sendMessage({ kind: 'word', word, index, serverState: this.serverStateSnapshot() });
    }
  }
}
