// One session's peers on the emulator with the real ably-js, each holding the token the app's endpoint would issue
// (api/token_policy.py's capability), and what a test observes besides the pages: a channel's history and the
// presence set as Ably holds them (over REST, with the key), and `settled()`, a bounded wait for the messages
// already sent to reach every page.
import { channelNameFor, inboxChannelFor } from '../../../site/session-id.js';
import { appCapability, createPeer } from './p2p-peers.mjs';
import { uniqueName } from './realtime.mjs';
import { waitFor, within } from './waiting.mjs';

let markers = 0;

/**
 * A new session on `emulator` for test `t`: every client made here is closed when `t` ends (without `t`, when the
 * emulator stops).
 * @param {import('./emulator.mjs').RunningEmulator} emulator
 * @param {import('node:test').TestContext} [t]
 * @param {{onClient?: (realtime: object) => void}} [options] `onClient`: called with each peer's new Ably client
 */
export function sessionOn(emulator, t, { onClient = () => {} } = {}) {
  const id = uniqueName('session');
  const channel = channelNameFor(id);
  const inbox = (clientId) => inboxChannelFor(id, clientId);
  const rest = emulator.rest({ auth: 'key' });
  const joined = [];
  let observer = null;

  /** A bare ably-js client with the app's token for `clientId` (or the given capability), as a forger would hold. */
  const client = (clientId, { capability = appCapability(id, clientId), ably = {} } = {}) =>
    emulator.realtime({ clientId, capability, ably }, t);

  /**
   * A peer, not started, whose clientId is `<name>-id` unless `clientId` is given; `capability` and `ably` (ably-js
   * options) change its Ably client, the rest are createPeer's options.
   */
  function peer(name, { clientId = `${name}-id`, capability, ably, ...options } = {}) {
    const created = createPeer(
      () => {
        const realtime = client(clientId, { capability, ably });
        onClient(realtime);
        return realtime;
      },
      { sessionId: id, name, ...options },
    );
    t?.after(() => created.close());
    return created;
  }

  /** Start a peer and wait until it is acknowledged and every connected peer joined before lists it. */
  async function join(name, options) {
    const newcomer = await within(peer(name, options).start(), { what: `${name} to start` });
    joined.push(newcomer);
    const listed = (each) => !each.ably.connected || each.state.players.some((p) => p.clientId === newcomer.clientId());
    await waitFor(() => newcomer.state.status === 'acknowledged' && joined.every(listed), {
      what: `${name} to be acknowledged and listed by everyone (${newcomer.state.status})`,
    });
    return newcomer;
  }

  /**
   * Resolve once each of `receivers` (P2PSessions or PubSubClients, attached to the session channel) has handled
   * every message Ably accepted before this call: a marker published now reaches each after all of them, since the
   * emulator queues an accepted message to every receiver's connection before it acknowledges the publish.
   */
  async function settled(receivers) {
    markers += 1;
    const kind = `settled-${markers}`;
    const arrived = receivers.map((receiver) => {
      const pubSub = receiver.ably ?? receiver;
      return new Promise((resolve) => {
        const listener = (message) => {
          if (message.kind !== kind) return;
          pubSub.off('message', listener);
          resolve();
        };
        pubSub.on('message', listener);
      });
    });
    observer ??= client('observer-id');
    await within(observer.channels.get(channel).publish(kind, {}), { what: `publishing ${kind}` });
    await within(Promise.all(arrived), { what: `every receiver to get ${kind}` });
  }

  /** Every message Ably holds on `name`, oldest first. */
  async function history(name) {
    const page = await within(rest.channels.get(name).history({ direction: 'forwards', limit: 1000 }), {
      what: `the history of ${name}`,
    });
    return page.items;
  }

  /** The session channel's presence members as Ably holds them. */
  async function members() {
    const page = await within(rest.channels.get(channel).presence.get(), { what: `the presence set of ${channel}` });
    return page.items;
  }

  return { id, channel, inbox, client, peer, join, settled, history, members };
}
