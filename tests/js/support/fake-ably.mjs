// An in-memory stand-in for Ably (after Ablingo's fake channel): enough of ably-js's Realtime surface for the
// P2P classes, with the Ably rules they rely on:
//   * the clientId on every message and presence member is the one of the sender's token (server-stamped);
//   * capabilities are checked on attach, publish and presence, as Ably does (the ops of every matching
//     resource are united; `prefix*` matches by prefix), failing with 40160; an attach gets the modes the
//     capability allows, so a publish-only channel attaches but receives nothing;
//   * presence: members keyed by (clientId, connectionId) with the server's join timestamp, enter/leave events
//     to presence subscribers, get() answering the set like a SYNC; close() leaves at once, a lost transport
//     leaves only when the test says the presence timeout passed;
//   * delivery: echo to the publisher, per-channel order, JSON on the wire, rewind, asynchronous like a network.
// Every delivery is counted per receiving client (`realtime.deliveries`) with its size, for the cost tests.
//
// `await network.settle()` waits until nothing is left in flight.

const SETTLE_ROUNDS = 10_000;
const GIVE_UP_STATES = new Set(['failed', 'suspended', 'closed']);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The shape of ably-js's ErrorInfo: a message, an Ably error code and an HTTP status. */
export class FakeErrorInfo extends Error {
  constructor(message, code, statusCode) {
    super(message);
    this.name = 'ErrorInfo';
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** Whether `capability` ({resource: ops}) allows `operation` on `channelName`, uniting matching resources. */
export function permits(capability, channelName, operation) {
  return Object.entries(capability).some(([resource, operations]) => {
    const matches =
      resource === '*' ||
      (resource.endsWith('*') ? channelName.startsWith(resource.slice(0, -1)) : resource === channelName);
    return matches && (operations.includes('*') || operations.includes(operation));
  });
}

const DEFAULT_MODES = ['PUBLISH', 'SUBSCRIBE', 'PRESENCE', 'PRESENCE_SUBSCRIBE'];
const MODES_BY_OPERATION = {
  publish: ['publish'],
  subscribe: ['subscribe', 'presence_subscribe'],
  presence: ['presence', 'presence_subscribe'],
};

function denied(operation, channelName) {
  return new FakeErrorInfo(
    `Unable to perform channel operation (${operation} on ${channelName}: permission denied)`,
    40160,
    401,
  );
}

/** One Ably app: its channels (history, subscribers, presence) and the queue of deliveries still in flight. */
export class FakeAblyNetwork {
  constructor({ now = () => Date.now() } = {}) {
    this.now = now;
    this.channels = new Map();
    this.queue = [];
    this.pumping = false;
    this.realtimes = [];
    this.nextId = 1;
  }

  /**
   * A Realtime client as the token endpoint would authorise it.
   * @param {{clientId?: string, capability?: object, failWith?: FakeErrorInfo, failedState?: string}} [options]
   *   `capability` defaults to everything; `failWith` makes the connection end in `failedState` ('failed' by
   *   default) instead of connecting.
   */
  createRealtime(options = {}) {
    const realtime = new FakeRealtime(this, {
      clientId: options.clientId ?? `client-${this.nextId++}`,
      capability: options.capability ?? { '*': ['*'] },
      failWith: options.failWith ?? null,
      failedState: options.failedState ?? 'failed',
    });
    this.realtimes.push(realtime);
    return realtime;
  }

  channel(name) {
    if (!this.channels.has(name)) {
      this.channels.set(name, {
        history: [],
        subscriptions: new Set(),
        members: new Map(),
        presenceSubscriptions: new Set(),
      });
    }
    return this.channels.get(name);
  }

  /** Every message published on `name`, oldest first, as subscribers receive them. */
  history(name) {
    return this.channel(name).history.slice();
  }

  /** The presence members of `name` now, as `{clientId, connectionId, timestamp, data}`. */
  members(name) {
    return [...this.channel(name).members.values()].map((member) => ({ ...member }));
  }

  /**
   * The presence timeout passed: every member held by a connection whose transport was lost leaves, as Ably
   * does about 15 s after an abrupt disconnect.
   */
  expirePresence() {
    for (const realtime of this.realtimes) {
      if (realtime.connection.state === 'disconnected') realtime.leaveAll();
    }
  }

  /** Hand `message` to a subscriber later (a turn per delivery), counting it against the receiving client. */
  deliver(subscription, message, kind) {
    this.deliverLater(() => {
      if (!subscription.active()) return;
      subscription.realtime.count(kind, message);
      subscription.listener(message);
    });
  }

  deliverLater(task) {
    this.queue.push(task);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => this.pump());
    }
  }

  pump() {
    // One delivery per turn, so the promises a handler awaits can settle between messages, as on a network.
    const task = this.queue.shift();
    task?.();
    if (this.queue.length) setImmediate(() => this.pump());
    else this.pumping = false;
  }

  /**
   * Wait until nothing is in flight: every publish accepted, every message delivered, every handler's reply sent.
   * (Handlers run their promise chains between turns, so an empty queue after a turn means quiet.) Timers, such as
   * the pauses of the word stream, are not traffic: await the stream itself first. Throws if traffic never stops.
   */
  async settle() {
    for (let round = 0; round < SETTLE_ROUNDS; round += 1) {
      await nextTurn();
      if (!this.pumping && !this.queue.length) return;
    }
    throw new Error(`fake Ably did not settle within ${SETTLE_ROUNDS} turns`);
  }
}

class FakeEmitter {
  constructor() {
    this.listeners = [];
  }

  on(eventOrListener, maybeListener) {
    const [event, listener] = maybeListener ? [eventOrListener, maybeListener] : [null, eventOrListener];
    this.listeners.push({ event, listener });
  }

  off(listener) {
    this.listeners = this.listeners.filter((entry) => entry.listener !== listener);
  }

  emit(event, change) {
    for (const { event: wanted, listener } of this.listeners.slice()) {
      if (wanted === null || wanted === event) listener(change);
    }
  }

  /** Resolves once `state` is the current one (now or later). */
  whenState(state) {
    if (this.state === state) return Promise.resolve(null);
    return new Promise((resolve) => {
      const listener = (change) => {
        if (change.current !== state) return;
        this.off(listener);
        resolve(change);
      };
      this.on(listener);
    });
  }
}

class FakeConnection extends FakeEmitter {
  constructor() {
    super();
    this.state = 'connecting';
    this.errorReason = null;
    this.id = null;
  }

  transition(current, reason = null) {
    const change = { previous: this.state, current, reason };
    this.state = current;
    this.errorReason = reason;
    this.emit(current, change);
  }
}

class FakeRealtime {
  constructor(network, { clientId, capability, failWith, failedState }) {
    this.network = network;
    this.capability = capability;
    this.connection = new FakeConnection();
    this.auth = { clientId: null };
    this.channelMap = new Map();
    this.publishError = null;
    this.channels = { get: (name, options) => this.getChannel(name, options) };
    /** What this client received: `{kind: 'message' | 'presence', channel, bytes}` per delivery. */
    this.deliveries = [];

    this.grantedClientId = clientId;
    network.deliverLater(() => {
      if (this.connection.state !== 'connecting') return;
      if (failWith) this.connection.transition(failedState, failWith);
      else this.connect();
    });
  }

  /** Connect under the clientId the token names: at once, or after `failWith` in a state Ably retries from. */
  connect() {
    this.auth.clientId = this.grantedClientId;
    this.connection.id = `connection-${this.network.nextId++}`;
    this.connection.transition('connected');
  }

  getChannel(name, options = {}) {
    if (!this.channelMap.has(name)) this.channelMap.set(name, new FakeRealtimeChannel(this, name, options));
    return this.channelMap.get(name);
  }

  count(kind, message) {
    this.deliveries.push({ kind, channel: message.channel, bytes: JSON.stringify(message.data ?? null).length });
  }

  /** Make every later publish from this client reject with `error` (as Ably does when it refuses a message). */
  rejectPublishes(error) {
    this.publishError = error;
  }

  /** Leave every presence member this connection holds, telling each channel's presence subscribers. */
  leaveAll() {
    for (const channel of this.channelMap.values()) channel.presence.leaveMember(this.connection.id);
  }

  /**
   * The transport dies without a goodbye (network loss, a crashed tab): nothing more is delivered, the members
   * stay until `network.expirePresence()`.
   */
  loseTransport() {
    for (const channel of this.channelMap.values()) channel.suspendDelivery();
    this.connection.transition('disconnected', new FakeErrorInfo('Connection lost', 80003, 400));
  }

  /**
   * Come back after `loseTransport()` when the resume fails (past connectionStateTtl), as ably-js does: a new
   * connectionId, `connected` with reason 80008, every channel attached again (rewind replayed) and the
   * presence members this client had entered entered again under the new connection. Messages published
   * meanwhile are lost.
   */
  reconnectAfterResumeFailed() {
    const previousId = this.connection.id;
    this.connection.id = `connection-${this.network.nextId++}`;
    for (const channel of this.channelMap.values()) channel.reattach();
    for (const channel of this.channelMap.values()) channel.presence.reenter(previousId);
    this.connection.transition('connected', new FakeErrorInfo('Unable to recover connection', 80008, 400));
  }

  close() {
    if (this.connection.state === 'closed') return;
    if (this.connection.id) this.leaveAll();
    for (const channel of this.channelMap.values()) channel.detach();
    this.connection.transition('closed');
  }
}

/** Resolves when `realtime` is connected; rejects with the reason if it gives up. */
async function whenConnected(realtime) {
  const { connection } = realtime;
  if (connection.state === 'connected') return;
  if (GIVE_UP_STATES.has(connection.state)) {
    throw connection.errorReason ?? new FakeErrorInfo(`Connection ${connection.state}`, 80017, 400);
  }
  await new Promise((resolve, reject) => {
    const watch = (change) => {
      if (change.current === 'connected') {
        connection.off(watch);
        resolve();
      } else if (GIVE_UP_STATES.has(change.current)) {
        connection.off(watch);
        reject(change.reason ?? new FakeErrorInfo(`Connection ${change.current}`, 80017, 400));
      }
    };
    connection.on(watch);
  });
}

class FakeRealtimeChannel extends FakeEmitter {
  constructor(realtime, name, options) {
    super();
    this.realtime = realtime;
    this.name = name;
    this.options = options;
    this.state = 'initialized';
    this.messageListeners = [];
    this.subscriptions = [];
    this.presence = new FakePresence(this);
  }

  get shared() {
    return this.realtime.network.channel(this.name);
  }

  transition(current) {
    const change = { previous: this.state, current, resumed: false, reason: null };
    this.state = current;
    this.emit(current, change);
  }

  /**
   * Attach once (waiting for the connection), replaying the rewind window. As Ably does, the channel gets the
   * requested modes (all four by default, or `options.modes`) that the capability allows, and 40160 if none:
   * a channel the token may only publish to attaches without the subscribe mode and receives nothing.
   */
  attach() {
    if (this.state === 'attached') return Promise.resolve();
    // Calls while one attach is under way share it, as ably-js's do.
    this.attaching ??= this.attachOnce().finally(() => {
      this.attaching = null;
    });
    return this.attaching;
  }

  async attachOnce() {
    await whenConnected(this.realtime);
    const requested = (this.options.modes ?? DEFAULT_MODES).map((mode) => mode.toLowerCase());
    const allowed = new Set(
      Object.entries(MODES_BY_OPERATION)
        .filter(([operation]) => permits(this.realtime.capability, this.name, operation))
        .flatMap(([, modes]) => modes),
    );
    this.modes = requested.filter((mode) => allowed.has(mode));
    if (!this.modes.length) {
      this.transition('failed');
      throw denied('attach', this.name);
    }
    this.startDelivery({ rewind: true });
    this.transition('attached');
  }

  /** Register this channel's subscriptions with the shared channel, first replaying the rewind window. */
  startDelivery({ rewind }) {
    const { shared } = this;
    const rewound = rewind ? this.rewound(shared.history) : [];
    const receives = this.modes.includes('subscribe');
    this.subscription = {
      realtime: this.realtime,
      active: () => this.subscription === subscription,
      listener: (message) => {
        for (const listener of this.messageListeners) listener(message);
      },
    };
    const { subscription } = this;
    if (receives) {
      for (const message of rewound) this.realtime.network.deliver(subscription, message, 'message');
      shared.subscriptions.add(subscription);
    }
    this.presenceSubscription = {
      realtime: this.realtime,
      active: () => this.presenceSubscription === presenceSubscription,
      listener: (member) => this.presence.receive(member),
    };
    const { presenceSubscription } = this;
    if (this.modes.includes('presence_subscribe')) shared.presenceSubscriptions.add(presenceSubscription);
    this.presence.synced = false;
  }

  suspendDelivery() {
    this.shared.subscriptions.delete(this.subscription);
    this.shared.presenceSubscriptions.delete(this.presenceSubscription);
    this.subscription = null;
    this.presenceSubscription = null;
  }

  reattach() {
    if (this.state !== 'attached') return;
    this.transition('attaching');
    this.startDelivery({ rewind: true });
    this.realtime.network.deliverLater(() => this.transition('attached'));
  }

  /** Attach, then deliver every new message to `listener` (none without the subscribe mode, as ably-js warns). */
  async subscribe(listener) {
    await this.attach();
    this.messageListeners.push(listener);
  }

  rewound(history) {
    const rewind = this.options.params?.rewind;
    if (!rewind) return [];
    const match = /^(\d+)([ms]?)$/.exec(rewind);
    if (!match) throw new FakeErrorInfo(`Invalid rewind parameter: ${rewind}`, 40000, 400);
    const [, amount, unit] = match;
    if (!unit) return history.slice(-Number(amount));
    const windowMs = Number(amount) * (unit === 'm' ? 60_000 : 1000);
    const since = this.realtime.network.now() - windowMs;
    return history.filter((message) => message.timestamp >= since).slice(-100);
  }

  /**
   * Resolves once "Ably" has accepted the message (a turn later), or rejects as Ably would. Like ably-js, a
   * channel need not be attached to publish on it, and a publish while connecting waits for the connection.
   */
  async publish(name, data) {
    const { network, connection, auth } = this.realtime;
    if (connection.state === 'connecting') await whenConnected(this.realtime);
    if (connection.state !== 'connected') {
      throw new FakeErrorInfo(`Cannot publish while the connection is ${connection.state}`, 80000, 400);
    }
    // As on the wire: receivers get a copy taken now, never the publisher's objects.
    const wireData = JSON.parse(JSON.stringify(data));
    return new Promise((resolve, reject) => {
      network.deliverLater(() => {
        if (this.realtime.publishError) {
          reject(this.realtime.publishError);
          return;
        }
        if (!permits(this.realtime.capability, this.name, 'publish')) {
          reject(denied('publish', this.name));
          return;
        }
        const message = {
          id: `${connection.id}:${network.nextId++}`,
          name,
          data: wireData,
          clientId: auth.clientId,
          connectionId: connection.id,
          timestamp: network.now(),
          channel: this.name,
        };
        const { shared } = this;
        shared.history.push(message);
        for (const subscription of shared.subscriptions) network.deliver(subscription, message, 'message');
        resolve();
      });
    });
  }

  detach() {
    this.suspendDelivery();
    this.messageListeners = [];
    this.transition('detached');
  }
}

class FakePresence {
  constructor(channel) {
    this.channel = channel;
    this.listeners = [];
    this.entered = null;
    this.synced = false;
  }

  /** Attach, then hand every enter/leave on the channel to `listener`. */
  async subscribe(listener) {
    await this.channel.attach();
    this.listeners.push(listener);
  }

  receive(member) {
    for (const listener of this.listeners) listener({ ...member });
  }

  /** Enter with `data`: Ably stamps this connection's clientId and the server time as the member's timestamp. */
  async enter(data) {
    await this.channel.attach();
    const { realtime, name } = this.channel;
    if (!permits(realtime.capability, name, 'presence')) throw denied('presence', name);
    this.entered = { data: JSON.parse(JSON.stringify(data ?? null)) };
    this.add(realtime.connection.id);
  }

  add(connectionId) {
    const { realtime, name } = this.channel;
    const { network } = realtime;
    const member = {
      clientId: realtime.auth.clientId,
      connectionId,
      timestamp: network.now(),
      data: this.entered.data,
    };
    const shared = network.channel(name);
    shared.members.set(`${member.clientId}:${connectionId}`, member);
    this.broadcast('enter', member);
  }

  /** After a failed resume: enter again under the new connection if the old member has gone (as ably-js does). */
  reenter(previousConnectionId) {
    if (!this.entered) return;
    const { realtime, name } = this.channel;
    const shared = realtime.network.channel(name);
    if (shared.members.has(`${realtime.auth.clientId}:${previousConnectionId}`)) return;
    this.add(realtime.connection.id);
  }

  async leave() {
    this.entered = null;
    this.leaveMember(this.channel.realtime.connection.id);
  }

  leaveMember(connectionId) {
    const { realtime, name } = this.channel;
    const shared = realtime.network.channel(name);
    const key = `${realtime.auth.clientId}:${connectionId}`;
    const member = shared.members.get(key);
    if (!member) return;
    shared.members.delete(key);
    this.broadcast('leave', { ...member, timestamp: realtime.network.now() });
  }

  broadcast(action, member) {
    const { realtime, name } = this.channel;
    const shared = realtime.network.channel(name);
    const message = { ...member, action, channel: name };
    for (const subscription of shared.presenceSubscriptions)
      realtime.network.deliver(subscription, message, 'presence');
  }

  /**
   * The members now (a turn later, like a SYNC). The first get() after an attach counts the SYNC as one presence
   * delivery per member to this client, as Ably bills it.
   */
  async get() {
    await this.channel.attach();
    await new Promise((resolve) => this.channel.realtime.network.deliverLater(resolve));
    const members = this.channel.realtime.network.members(this.channel.name);
    if (!this.synced) {
      this.synced = true;
      for (const member of members)
        this.channel.realtime.count('presence', { channel: this.channel.name, data: member.data });
    }
    return members.map((member) => ({ ...member, action: 'present' }));
  }
}
