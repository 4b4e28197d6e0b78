// The peer's identity, and the Ably wrapper every peer publishes and receives through.
//
// Framework-free on purpose: the same module runs in the browser and in Node (tests/js, the benchmark's peers),
// which inject the Ably client they want. No #private fields: Vue wraps these objects in reactive proxies, and a
// proxy cannot reach private fields.
//
// Channels of session <id> (docs/protocol.md): `p2p:<id>` for broadcasts and presence, and one inbox per peer,
// `p2p:<id>:inbox:<clientId>`, which only that peer's token may subscribe to. The Ably message name is the kind;
// the data is the payload. A receiver sees `message.from`, the clientId Ably stamped on the message from the
// sender's token, never a value the sender wrote. The kinds, who may send each and where, are one table:
// MESSAGE_KINDS in p2p.session.js. Both channels receive through guardChannel (p2p.inbound.js): whatever another
// player publishes, ably-js sees only what peers send.
import { Emitter } from './emitter.js';
import { defaultFriendlyName, normalizeFriendlyName } from './friendly-name.js';
import { guardChannel } from './p2p.inbound.js';
import { PublishPacer } from './publish-pacer.js';
import { channelNameFor, inboxChannelFor } from './session-id.js';

export { defaultFriendlyName, MAX_FRIENDLY_NAME_LENGTH, normalizeFriendlyName } from './friendly-name.js';

/** Who this peer says it is to the others. (Its Ably clientId is issued by the token endpoint, not chosen here.) */
export class Identity {
  /** @param {string} [friendlyName] normalised; a random `Player-<n>` when empty */
  constructor(friendlyName) {
    this.friendlyName = normalizeFriendlyName(friendlyName) || defaultFriendlyName();
  }
}

/** Resolves once `connection` (ably-js's) is connected; rejects with Ably's reason if it fails or closes first. */
function whenConnected(connection) {
  const gaveUp = (state, reason) => reason ?? new Error(`The connection is ${state}.`);
  if (connection.state === 'connected') return Promise.resolve();
  if (connection.state === 'failed' || connection.state === 'closed') {
    return Promise.reject(gaveUp(connection.state, connection.errorReason));
  }
  return new Promise((resolve, reject) => {
    const listener = ({ current, reason }) => {
      if (current !== 'connected' && current !== 'failed' && current !== 'closed') return;
      connection.off(listener);
      if (current === 'connected') resolve();
      else reject(gaveUp(current, reason));
    };
    connection.on(listener);
  });
}

/** Fields the receiving PubSubClient sets itself; a sender cannot supply them. */
const RECEIVER_FIELDS = ['kind', 'from', 'via'];

/** What a PubSubClient tells its listeners (`on(event, listener)`); each listener gets one detail object. */
export const PUBSUB_EVENTS = Object.freeze(['message', 'presence', 'continuity-lost']);

/**
 * Wraps one Ably Realtime client for one session: the session channel (rewinding a minute), this peer's inbox,
 * and presence. Events:
 * - `message`: a received message, `{...payload, kind, from, via}`: `from` is the sender's clientId as Ably
 *   stamped it, `via` the channel it came on, 'session' or 'inbox'.
 * - `presence`: `{members}`, the whole presence set (after connecting, and after continuity was lost), or
 *   `{event}`, one change of it (`{action, clientId, connectionId, timestamp, data}`).
 * - `continuity-lost`: `{reason}`, Ably's ErrorInfo: a resume failed, so messages may have been missed.
 */
export class PubSubClient extends Emitter {
  /**
   * @param {{createRealtime: (sessionId: string) => object}} options `createRealtime` returns an Ably.Realtime
   *   authorised for that session (P2PSession wraps the page's, adding this page's peer secret).
   */
  constructor({ createRealtime }) {
    super(PUBSUB_EVENTS);
    this.createRealtime = createRealtime;
    this.connected = false;
    this.receiving = false;
    this.connecting = null;
    this.realtime = null;
    this.channel = null;
    this.inbox = null;
    this.sessionId = null;
    this.metadata = null;
    this.connectionId = null;
    this.early = [];
    this.presenceRefresh = Promise.resolve();
    this.presenceRefreshQueued = false;
    this.presenceLoaded = false;
    this.pacer = new PublishPacer();
  }

  /**
   * Connect: attach the session channel (rewinding the last minute) and this peer's inbox, enter presence and
   * learn the presence set. The `presence` listeners have seen the set when this resolves. Calling it again, even
   * while the first call is still running, connects only once.
   *
   * The session channel's attach and the presence enter are asked for while the connection is still being made:
   * ably-js sends the attach the moment Ably says connected, before it even reports it (as it sends a message
   * published while connecting), and the enter the moment the channel is attached. The inbox, named by the clientId
   * Ably gives on connecting, attaches alongside. The set is read as soon as the session channel is attached, and
   * `onReady` is called once the inbox is attached too, before the enter is acknowledged, so that the peer can ask
   * the host for its state while its own enter is on its way.
   * @param {Identity} identity
   * @param {string} sessionId
   * @param {{onReady?: () => void}} [options] `onReady`: both channels are attached and the set has been read
   */
  connect(identity, sessionId, { onReady = () => {} } = {}) {
    if (!this.connecting) {
      this.connecting = this.openChannel(identity, sessionId, onReady).catch((error) => {
        this.close();
        throw error;
      });
    }
    return this.connecting;
  }

  async openChannel(identity, sessionId, onReady) {
    const channelName = channelNameFor(sessionId);
    this.sessionId = sessionId;
    this.realtime = this.createRealtime(sessionId);
    this.channel = guardChannel(this.realtime.channels.get(channelName, { params: { rewind: '1m' } }));
    const subscribed = Promise.all([
      this.channel.subscribe((ablyMessage) => this.receive(ablyMessage, 'session')),
      this.channel.presence.subscribe((member) => this.onPresenceEvent(member)),
    ]);
    let session = this.enter(identity, subscribed);
    // Ably keeps trying a connection it cannot make yet (Ably unreachable, this site's server failing), but it
    // gives up an attach once the connection is suspended: so the join waits for the connection, as long as it
    // takes, and asks again for what was given up meanwhile.
    await whenConnected(this.realtime.connection);
    if (session.refused) session = this.enter(identity, this.channel.attach());
    // The connection's clientId is the one its token names.
    const clientId = this.realtime.auth.clientId;
    if (!clientId || clientId === '*') {
      throw new Error('The token endpoint issued no clientId, so messages cannot be targeted at this peer.');
    }
    this.metadata = { clientId, friendlyName: identity.friendlyName };
    this.connectionId = this.realtime.connection.id;
    this.inbox = guardChannel(this.realtime.channels.get(inboxChannelFor(sessionId, clientId)));

    const inboxAttached = this.inbox.subscribe((ablyMessage) => this.receive(ablyMessage, 'inbox'));
    inboxAttached.catch(() => {}); // awaited below, unless the session channel's attach fails first
    await session.attached;
    this.realtime.connection.on('connected', (change) => this.onConnected(change));
    this.connected = true;
    await this.refreshPresence();
    this.receiving = true;
    for (const [ablyMessage, via] of this.early.splice(0)) this.receive(ablyMessage, via);
    await inboxAttached; // before anyone is asked to answer there
    onReady();
    await session.entered; // refused with 91003 when the session is full
  }

  /**
   * Enter presence once `attached` (the session channel's attach) resolves, which ably-js does by itself: the
   * enter waits for the attach. `refused`: the attach was given up (the connection was suspended).
   */
  enter(identity, attached) {
    const entered = this.channel.presence.enter({ friendlyName: identity.friendlyName });
    const attempt = { attached, entered, refused: false };
    attached.catch(() => {
      attempt.refused = true;
    });
    entered.catch(() => {}); // awaited once attached: an attach's error is the join's then
    return attempt;
  }

  /**
   * One presence event, passed on as it is (`presence` `{event}`) once the whole set has been read: the roster
   * changes by one member, so a burst of joins costs each peer O(log N) per join, not a re-read of the set.
   * Events before that read are already in it.
   */
  onPresenceEvent({ action, clientId, connectionId, timestamp, data }) {
    if (!this.presenceLoaded) return;
    this.emit('presence', { event: { action, clientId, connectionId, timestamp, data } });
  }

  /**
   * Read the whole presence set (ably-js keeps it; get() waits for a SYNC in progress) and pass it on
   * (`presence` `{members}`): after connecting, and after continuity was lost.
   * Refreshes run one after another, so listeners see the sets in order; calls while one waits share it.
   * Events are passed on from the first read: the ones before it are in it.
   */
  refreshPresence() {
    if (this.presenceRefreshQueued) return this.presenceRefresh;
    this.presenceRefreshQueued = true;
    this.presenceRefresh = this.presenceRefresh
      .then(async () => {
        this.presenceRefreshQueued = false;
        if (!this.connected) return;
        const members = (await this.channel.presence.get()).map(({ clientId, connectionId, timestamp, data }) => ({
          clientId,
          connectionId,
          timestamp,
          data,
        }));
        if (!this.connected) return;
        this.presenceLoaded = true;
        this.emit('presence', { members });
      })
      .catch(() => {
        // A channel that is suspended or closing has no presence set to read; the next event refreshes again.
      });
    return this.presenceRefresh;
  }

  /**
   * A new connectionId means the resume failed (e.g. 80008 after connectionStateTtl): messages may have been
   * missed. Tell the listeners once the channels are attached again, so that a reply can reach the inbox.
   */
  async onConnected(change) {
    const connectionId = this.realtime.connection.id;
    if (connectionId === this.connectionId) return;
    this.connectionId = connectionId;
    await Promise.all([this.channel.whenState('attached'), this.inbox.whenState('attached')]);
    if (!this.connected) return;
    this.emit('continuity-lost', { reason: change?.reason ?? null });
    await this.refreshPresence();
  }

  receive(ablyMessage, via) {
    // Rewound messages can arrive before we know our clientId and the roster; they wait until we do.
    if (!this.receiving) {
      this.early.push([ablyMessage, via]);
      return;
    }
    const payload = ablyMessage.data;
    // Anything that is not one of our messages (a string, null, an array, a nameless message) is ignored.
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return;
    if (typeof ablyMessage.name !== 'string' || !ablyMessage.name) return;
    const message = { ...payload };
    for (const field of RECEIVER_FIELDS) delete message[field];
    Object.assign(message, { kind: ablyMessage.name, from: ablyMessage.clientId ?? null, via });
    this.emit('message', message);
  }

  /**
   * Publish `message` to every peer on the session channel, or only to `targetClientId` through its inbox, in
   * order and under Ably's publish rate (publish-pacer.js). Resolves when Ably has accepted it; rejects with Ably's
   * error otherwise.
   * @param {{kind: string}} message the kind becomes the Ably message name, the rest its data
   * @param {string} [targetClientId] the Ably clientId of the one peer that should receive it
   */
  async sendMessage(message, targetClientId) {
    if (!this.connected) throw new Error('Client is not connected');
    const { kind, ...payload } = message;
    const channel = targetClientId
      ? this.realtime.channels.get(inboxChannelFor(this.sessionId, targetClientId))
      : this.channel;
    await this.pacer.take();
    await channel.publish(kind, payload);
  }

  /** Leave: close the Ably connection (presence leave reaches the others at once). A later connect() starts afresh. */
  close() {
    this.realtime?.close();
    this.connected = false;
    this.receiving = false;
    this.connecting = null;
    this.early = [];
    this.presenceLoaded = false;
  }
}
