// The tutorial's P2PServer: keeps the roster and pushes all of it to everyone on each join and in every word.

export const TUTORIAL_PHRASE = 'The quick brown fox jumped over the lazy dog';
export const TUTORIAL_WORD_INTERVAL_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class P2PServer {
  /**
   * @param {{phrase?: string, wordIntervalMs?: number}} [options] the stream's words and pace (tutorial text's by default)
   */
  constructor(identity, uniqueId, ably, { phrase = TUTORIAL_PHRASE, wordIntervalMs = TUTORIAL_WORD_INTERVAL_MS } = {}) {
    this.identity = identity;
    this.uniqueId = uniqueId;
    this.ably = ably;
    this.phrase = phrase;
    this.wordIntervalMs = wordIntervalMs;

    this.state = { players: [] };
  }

  async connect() {
    await this.ably.connect(this.identity, this.uniqueId);
  }

  async sendWordsAcrossMultipleMessages() {
    for (const word of this.phrase.split(' ')) {
      this.ably.sendMessage({ kind: 'word', word, serverState: this.state });
      await sleep(this.wordIntervalMs);
    }
  }

  onReceiveMessage(message) {
    switch (message.kind) {
      case 'connected':
        this.onClientConnected(message);
        break;
      default:
    }
  }

  onClientConnected(message) {
    this.state.players.push(message.metadata);
    this.ably.sendMessage({ kind: 'connection-acknowledged', serverState: this.state }, message.metadata.clientId);
    this.ably.sendMessage({ kind: 'peer-status', serverState: this.state });
  }
}
