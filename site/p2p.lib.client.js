// Every peer's side of a session (the host has one too): announces itself and mirrors what the host sends.

/** Status goes disconnected → awaiting-acknowledgement → acknowledged. */
export class P2PClient {
  /**
   * @param {import('./p2p.js').Identity} identity
   * @param {string} uniqueId the session id
   * @param {import('./p2p.js').PubSubClient} ably
   */
  constructor(identity, uniqueId, ably) {
    this.identity = identity;
    this.uniqueId = uniqueId;
    this.ably = ably;

    this.serverState = null;
    this.state = { status: 'disconnected', receivedWords: '' };
  }

  /** Connect and announce ourselves to the host. A second call does nothing. */
  async connect() {
    if (this.state.status !== 'disconnected') return;
    await this.ably.connect(this.identity, this.uniqueId);
    // Set before sending: the host's acknowledgement may arrive before our publish is confirmed.
    this.state.status = 'awaiting-acknowledgement';
    try {
      await this.ably.sendMessage({ kind: 'connected' });
    } catch (error) {
      this.state.status = 'disconnected';
      throw error;
    }
  }

  /** Handle one message from the channel: keep the host's latest state and react to its kind. */
  onReceiveMessage(message) {
    if (message.serverState) {
      this.serverState = message.serverState;
    }

    switch (message.kind) {
      case 'connection-acknowledged':
        this.state.status = 'acknowledged';
        break;
      case 'word':
        this.state.receivedWords = this.state.receivedWords
          ? `${this.state.receivedWords} ${message.word}`
          : String(message.word);
        break;
      default:
        break;
    }
  }
}
