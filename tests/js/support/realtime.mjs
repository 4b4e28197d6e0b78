/**
 * Observing ably-js clients in tests. An Inbox keeps what a subscriber received, in arrival order, with
 * bounded waits on it; tests assert on the whole list (names in order), which is what catches lost,
 * duplicated and reordered messages at once.
 */
import { waitFor, within } from './waiting.mjs';

export class Inbox {
  /** @type {import('ably').InboundMessage[]} */
  messages = [];

  /**
   * Subscribe to `channel` (all names) and attach it; await `inbox.attached` before publishing.
   * @param {import('ably').RealtimeChannel} channel
   */
  constructor(channel) {
    this.channel = channel;
    this.attached = within(
      channel.subscribe((message) => this.messages.push(message)),
      { what: `attaching ${channel.name}` },
    );
  }

  get names() {
    return this.messages.map((message) => message.name);
  }

  /** Wait until at least `count` messages arrived. */
  async waitForCount(count, { timeoutMs = 10_000 } = {}) {
    await waitFor(() => this.messages.length >= count, {
      what: `${count} messages on ${this.channel.name} (got ${this.messages.length})`,
      timeoutMs,
    });
    return this.messages;
  }

  /** Wait until a message called `name` arrived. */
  async waitForName(name, { timeoutMs = 10_000 } = {}) {
    return waitFor(() => this.messages.find((message) => message.name === name), {
      what: `message "${name}" on ${this.channel.name} (got ${this.names.slice(-5).join(', ')})`,
      timeoutMs,
    });
  }
}

/** Resolve when `client` is connected (bounded). */
export function connected(client, { timeoutMs = 10_000 } = {}) {
  return within(client.connection.whenState('connected'), { what: 'the connection to be connected', timeoutMs });
}

/** `count` message names `prefix-0 … prefix-(count-1)`. */
export function sequence(prefix, count) {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

let nameCounter = 0;

/** A channel name no other test uses, so tests sharing one emulator never see each other's messages. */
export function uniqueName(prefix) {
  nameCounter += 1;
  return `${prefix}-${process.pid}-${nameCounter}`;
}
