// Build peers the way site/index.js does (one PubSubClient shared by the peer's P2PClient and, when hosting,
// its P2PServer), for any Ably: the in-memory fake or real ably-js against the emulator.
import { handleMessageFromAbly, Identity, PubSubClient } from '../../../site/p2p.js';
import { P2PClient } from '../../../site/p2p.lib.client.js';
import { P2PServer } from '../../../site/p2p.lib.server.js';

/**
 * A peer of `sessionId`, not yet connected: call `await peer.start()`.
 * @param {(uniqueId: string) => object} createRealtime returns the Ably client this peer uses
 * @param {{sessionId: string, name?: string, hosting?: boolean, serverOptions?: object}} options
 */
export function createPeer(createRealtime, { sessionId, name, hosting = false, serverOptions }) {
  const peer = {
    /** Errors a message handler threw (e.g. a reply that could not be published). */
    handlerErrors: [],
    p2pServer: null,
    p2pClient: null,
  };
  peer.pubSubClient = new PubSubClient(
    (message, metadata) => {
      handleMessageFromAbly(message, metadata, peer.p2pClient, peer.p2pServer).catch((error) => {
        peer.handlerErrors.push(error);
      });
    },
    { createRealtime },
  );
  const identity = new Identity(name);
  if (hosting) peer.p2pServer = new P2PServer(identity, sessionId, peer.pubSubClient, serverOptions);
  peer.p2pClient = new P2PClient(identity, sessionId, peer.pubSubClient);

  peer.start = async () => {
    await peer.p2pServer?.connect();
    await peer.p2pClient.connect();
    return peer;
  };
  peer.close = () => peer.pubSubClient.close();
  peer.rosterNames = () => (peer.p2pClient.serverState?.players ?? []).map((player) => player.friendlyName);
  return peer;
}
