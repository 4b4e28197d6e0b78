// Peers of one session on the in-memory fake, each with the capability the token endpoint would grant it.
import { FakeAblyNetwork } from './fake-ably.mjs';
import { appCapability, createPeer } from './p2p-peers.mjs';

export const SESSION = 'room1';

/** No timers: the word stream's pauses end at once, so `network.settle()` also waits for a stream to finish. */
const noPause = async () => {};

/**
 * A fake Ably app and a way to add peers to SESSION. `join(name)` starts a peer whose clientId is
 * `<name>-id` (unless `clientId` is given) and waits until the network is quiet.
 * @param {{now?: () => number}} [options] the fake's clock
 */
export function fakeSession({ now } = {}) {
  const network = new FakeAblyNetwork(now ? { now } : {});
  const realtimeFor = (clientId) => () =>
    network.createRealtime({ clientId, capability: appCapability(SESSION, clientId) });
  const peer = (name, { clientId = `${name}-id`, ...options } = {}) =>
    createPeer(realtimeFor(clientId), { sessionId: SESSION, name, sleep: noPause, ...options });
  const join = async (name, options) => {
    const joined = await peer(name, options).start();
    await network.settle();
    return joined;
  };
  return { network, peer, join };
}
