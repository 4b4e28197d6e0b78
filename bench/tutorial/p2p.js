// The tutorial's Identity and PubSubClient (see README.md here): one channel, every message named
// "myMessageName", the sender's metadata and the target stamped into the payload.

/** The tutorial's identity: a random uint32 chosen by the page, not by Ably. */
export class Identity {
  constructor(friendlyName) {
    this.clientId = crypto.getRandomValues(new Uint32Array(1))[0];
    this.friendlyName = friendlyName;
  }
}

export class PubSubClient {
  /**
   * @param {(message: object, metadata: object) => void} onMessageReceivedCallback
   * @param {{createRealtime: () => object}} options builds the ably-js 2 client (the tutorial: authUrl)
   */
  constructor(onMessageReceivedCallback, { createRealtime }) {
    this.connected = false;
    this.onMessageReceivedCallback = onMessageReceivedCallback;
    this.createRealtime = createRealtime;
    this.realtime = null;
  }

  async connect(identity, uniqueId) {
    if (this.connected) return;

    this.metadata = { uniqueId, ...identity };

    this.realtime = this.createRealtime();
    this.channel = this.realtime.channels.get(`p2p:${uniqueId}`, { params: { rewind: '1m' } });

    // As in the tutorial, subscribe() is not awaited: the channel attaches in the background.
    this.channel.subscribe((message) => {
      this.onMessageReceivedCallback(message.data, this.metadata);
    });

    this.connected = true;
  }

  sendMessage(message, targetClientId) {
    if (!this.connected) {
      throw new Error('Client is not connected');
    }

    message.metadata = this.metadata;
    message.forClientId = targetClientId ? targetClientId : null;
    // Not awaited, as in the tutorial; a failure surfaces as an unhandled rejection.
    return this.channel.publish({ name: 'myMessageName', data: message });
  }
}
