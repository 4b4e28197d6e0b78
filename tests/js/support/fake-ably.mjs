// An in-memory stand-in for Ably (after Ablingo's fake channel): enough of ably-js's Realtime surface for the
// P2P classes, with Ably's delivery rules (echo to the publisher, per-channel order, JSON on the wire, rewind)
// and switches for the unhappy paths (a failed connection, rejected publishes).
//
// Delivery is asynchronous, as on a network; `await network.settle()` waits until nothing is left in flight.

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

/** One Ably app: its channels, their history, and the queue of deliveries still in flight. */
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
   * @param {{clientId?: string, failWith?: FakeErrorInfo, failedState?: string}} [options] `failWith` makes the
   *   connection end in `failedState` ('failed' by default) instead of connecting.
   */
  createRealtime(options = {}) {
    const realtime = new FakeRealtime(this, {
      clientId: options.clientId ?? `client-${this.nextId++}`,
      failWith: options.failWith ?? null,
      failedState: options.failedState ?? 'failed',
    });
    this.realtimes.push(realtime);
    return realtime;
  }

  channel(name) {
    if (!this.channels.has(name)) this.channels.set(name, { history: [], subscriptions: new Set() });
    return this.channels.get(name);
  }

  /** Every message published on `name`, oldest first, as subscribers receive them. */
  history(name) {
    return this.channel(name).history.slice();
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

  /** Resolves once the connection is in `state` (now or later). */
  whenState(state) {
    if (this.state === state) return Promise.resolve(null);
    return new Promise((resolve) => {
      const listener = (change) => {
        this.off(listener);
        resolve(change);
      };
      this.on(state, listener);
    });
  }
}

class FakeRealtime {
  constructor(network, { clientId, failWith, failedState }) {
    this.network = network;
    this.connection = new FakeConnection();
    this.auth = { clientId: null };
    this.channelMap = new Map();
    this.publishError = null;
    this.channels = { get: (name, options) => this.getChannel(name, options) };

    network.deliverLater(() => {
      if (this.connection.state !== 'connecting') return;
      if (failWith) {
        this.connection.transition(failedState, failWith);
        return;
      }
      this.auth.clientId = clientId;
      this.connection.id = `connection-${network.nextId++}`;
      this.connection.transition('connected');
    });
  }

  getChannel(name, options = {}) {
    if (!this.channelMap.has(name)) this.channelMap.set(name, new FakeRealtimeChannel(this, name, options));
    return this.channelMap.get(name);
  }

  /** Make every later publish from this client reject with `error` (as Ably does when it refuses a message). */
  rejectPublishes(error) {
    this.publishError = error;
  }

  close() {
    if (this.connection.state === 'closed') return;
    for (const channel of this.channelMap.values()) channel.detach();
    this.connection.transition('closed');
  }
}

class FakeRealtimeChannel {
  constructor(realtime, name, options) {
    this.realtime = realtime;
    this.name = name;
    this.options = options;
    this.state = 'initialized';
    this.subscription = null;
  }

  /** Attach (waiting for the connection), replay the rewind window, then deliver every new message. */
  async subscribe(listener) {
    const { connection } = this.realtime;
    if (connection.state !== 'connected') {
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
    const channel = this.realtime.network.channel(this.name);
    const subscription = { listener, realtime: this.realtime };
    for (const message of this.rewound(channel.history)) {
      this.realtime.network.deliverLater(() => channel.subscriptions.has(subscription) && listener(message));
    }
    channel.subscriptions.add(subscription);
    this.subscription = subscription;
    this.state = 'attached';
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

  /** Resolves once "Ably" has accepted the message (a turn later), or rejects as Ably would. */
  publish(name, data) {
    const { network, connection, auth } = this.realtime;
    if (connection.state !== 'connected') {
      return Promise.reject(new FakeErrorInfo(`Cannot publish while the connection is ${connection.state}`, 80000, 400));
    }
    // As on the wire: receivers get a copy taken now, never the publisher's objects.
    const wireData = JSON.parse(JSON.stringify(data));
    return new Promise((resolve, reject) => {
      network.deliverLater(() => {
        if (this.realtime.publishError) {
          reject(this.realtime.publishError);
          return;
        }
        const message = {
          id: `${connection.id}:${network.nextId++}`,
          name,
          data: wireData,
          clientId: auth.clientId,
          connectionId: connection.id,
          timestamp: network.now(),
        };
        const channel = network.channel(this.name);
        channel.history.push(message);
        for (const subscription of channel.subscriptions) {
          network.deliverLater(() => channel.subscriptions.has(subscription) && subscription.listener(message));
        }
        resolve();
      });
    });
  }

  detach() {
    if (this.subscription) this.realtime.network.channel(this.name).subscriptions.delete(this.subscription);
    this.subscription = null;
    this.state = 'detached';
  }
}
