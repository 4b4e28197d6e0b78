// A tiny event emitter for the P2P classes: named events, `on`/`off`, one detail per event. Not EventTarget:
// Vue wraps these objects in reactive proxies, and EventTarget's methods refuse a proxy as `this`.

export class Emitter {
  /** @param {readonly string[]} events the only event names `on`, `off` and `emit` accept */
  constructor(events) {
    this.listeners = new Map(events.map((event) => [event, new Set()]));
  }

  /** Call `listener(detail)` on every `event` from now on. */
  on(event, listener) {
    this.listenersOf(event).add(listener);
  }

  off(event, listener) {
    this.listenersOf(event).delete(listener);
  }

  emit(event, detail) {
    for (const listener of this.listenersOf(event)) listener(detail);
  }

  /** A misspelt event name throws at once instead of never firing. */
  listenersOf(event) {
    const listeners = this.listeners.get(event);
    if (!listeners) {
      const known = [...this.listeners.keys()].join(', ');
      throw new Error(`Unknown ${this.constructor.name} event ${JSON.stringify(event)}; known: ${known}`);
    }
    return listeners;
  }
}
