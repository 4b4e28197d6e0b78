// The peer's identity, the Ably wrapper every peer publishes through, and the routing of received messages.
//
// Framework-free on purpose: the same module runs in the browser (index.js) and in Node (tests/js), which
// inject the Ably client they want. No #private fields: Vue wraps these objects in reactive proxies, and a
// proxy cannot reach private fields.
//
// Messages on channel p2p:<session> (Ably message name = kind; data = the message plus `metadata`
// {clientId, friendlyName} of the sender and `forClientId`, null for everyone):
//   kind                      sender  handled by            payload
//   connected                 client  the host's P2PServer  -
//   connection-acknowledged   host    the one client named  serverState {players: [{clientId, friendlyName}]}
//   peer-status               host    every P2PClient       serverState
//   word                      host    every P2PClient       word, index (0-based), serverState
import { channelNameFor } from './session.js';

export const MAX_FRIENDLY_NAME_LENGTH = 32;

// Control characters and bidi overrides: invisible, and able to make one name display as another.
const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/**
 * Tidy a typed display name: no control characters, single spaces, at most 32 characters. May return ''.
 * @param {unknown} name
 */
export function normalizeFriendlyName(name) {
  const cleaned = String(name ?? '')
    .replace(UNSAFE_NAME_CHARACTERS, '')
    .replace(/\s+/g, ' ')
    .trim();
  // Array.from splits by code point, so a cut never leaves half an emoji.
  return Array.from(cleaned).slice(0, MAX_FRIENDLY_NAME_LENGTH).join('').trim();
}

/** A name for someone who did not type one, e.g. `Player-4821`. */
export function defaultFriendlyName() {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return `Player-${1000 + (n % 9000)}`;
}

/** Who this peer says it is to the others. (Its Ably clientId is issued by the token endpoint, not chosen here.) */
export class Identity {
  /** @param {string} [friendlyName] normalised; a random `Player-<n>` when empty */
  constructor(friendlyName) {
    this.friendlyName = normalizeFriendlyName(friendlyName) || defaultFriendlyName();
  }
}

/**
 * Wraps one Ably Realtime client and the session's channel: connects once, stamps the sender's metadata
 * on every message, and hands every received message to one callback.
 */
export class PubSubClient {
  /**
   * @param {(message: object, metadata: {clientId: string, friendlyName: string}, ablyMessage: object) => void} onMessageReceivedCallback
   *   called with the message, this peer's own metadata (to recognise messages targeted at it) and the Ably
   *   message (whose `clientId` Ably verified).
   * @param {{createRealtime: (uniqueId: string) => object}} options `createRealtime` returns an Ably.Realtime
   *   (or a fake) authorised for that session; index.js builds it from /api/clientConfig.
   */
  constructor(onMessageReceivedCallback, { createRealtime }) {
    this.onMessageReceivedCallback = onMessageReceivedCallback;
    this.createRealtime = createRealtime;
    this.connected = false;
    this.connecting = null;
    this.realtime = null;
    this.channel = null;
    this.metadata = null;
    this.early = [];
  }

  /**
   * Connect to the session's channel (rewinding the last minute) and learn our Ably clientId. Calling it again,
   * even while the first call is still running, connects only once.
   * @param {Identity} identity
   * @param {string} uniqueId the session id
   */
  connect(identity, uniqueId) {
    if (!this.connecting) {
      this.connecting = this.openChannel(identity, uniqueId).catch((error) => {
        this.close();
        throw error;
      });
    }
    return this.connecting;
  }

  async openChannel(identity, uniqueId) {
    const channelName = channelNameFor(uniqueId);
    this.realtime = this.createRealtime(uniqueId);
    this.channel = this.realtime.channels.get(channelName, { params: { rewind: '1m' } });
    // subscribe() attaches the channel, which waits for the connection, so our clientId is known afterwards.
    await this.channel.subscribe((ablyMessage) => this.receive(ablyMessage));
    const clientId = this.realtime.auth.clientId;
    if (!clientId || clientId === '*') {
      throw new Error('The token endpoint issued no clientId, so messages cannot be targeted at this peer.');
    }
    this.metadata = { clientId, friendlyName: identity.friendlyName };
    this.connected = true;
    for (const ablyMessage of this.early.splice(0)) this.receive(ablyMessage);
  }

  receive(ablyMessage) {
    // Rewound messages can arrive before we know our clientId; they wait until we do.
    if (!this.metadata) {
      this.early.push(ablyMessage);
      return;
    }
    const message = ablyMessage.data;
    // Anything on the channel that is not one of our messages (a string, null, an array) is ignored.
    if (!message || typeof message !== 'object' || Array.isArray(message)) return;
    this.onMessageReceivedCallback(message, this.metadata, ablyMessage);
  }

  /**
   * Publish `message` to every peer (or, by convention, only to `targetClientId`), stamped with our metadata.
   * Resolves when Ably has accepted it; rejects with Ably's error otherwise.
   * @param {{kind: string}} message
   * @param {string} [targetClientId] the Ably clientId of the one peer that should handle it
   */
  async sendMessage(message, targetClientId) {
    if (!this.connected) throw new Error('Client is not connected');
    const data = { ...message, metadata: this.metadata, forClientId: targetClientId ?? null };
    await this.channel.publish(message.kind, data);
  }

  /** Leave: close the Ably connection. A later connect() starts afresh. */
  close() {
    this.realtime?.close();
    this.connected = false;
    this.connecting = null;
    this.early = [];
  }
}

/**
 * Whether a message is for this peer: broadcasts are for everyone, targeted ones only for their target.
 * Not a security boundary: every peer receives every message on the channel.
 */
export function shouldHandleMessage(message, metadata) {
  return !message.forClientId || message.forClientId === metadata.clientId;
}

/**
 * Hand a received message to this peer's server (when hosting) and client. Resolves when both have handled it.
 * @returns {Promise<void>} rejects if a handler fails (e.g. the server's reply could not be published)
 */
export async function handleMessageFromAbly(message, metadata, p2pClient, p2pServer) {
  if (!shouldHandleMessage(message, metadata)) return;
  // Both start at once, so state changes happen in arrival order even while the server awaits its replies.
  await Promise.all([p2pServer?.onReceiveMessage(message), p2pClient?.onReceiveMessage(message)]);
}
