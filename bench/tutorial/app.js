// The tutorial's Vue methods `host` and `join` and its message routing, without Vue: each returns the peer's
// objects, wired exactly as the tutorial's index.js wires them.
import { Identity, PubSubClient } from './p2p.js';
import { P2PClient } from './p2p.lib.client.js';
import { P2PServer } from './p2p.lib.server.js';

/** The tutorial filters "targeted" messages on the receiving side (it says so: deliberately not secure). */
export function shouldHandleMessage(message, metadata) {
  return message.forClientId == null || !message.forClientId || message.forClientId === metadata.clientId;
}

export function handleMessageFromAbly(message, metadata, p2pClient, p2pServer) {
  if (shouldHandleMessage(message, metadata)) {
    p2pServer?.onReceiveMessage(message);
    p2pClient?.onReceiveMessage(message);
  }
}

/**
 * One peer: `host()` or `join()` as the tutorial's buttons do.
 * @param {{uniqueId: string, friendlyName?: string, createRealtime: () => object, serverOptions?: object}} options
 */
export class TutorialPeer {
  constructor({
    uniqueId,
    friendlyName = `Player-${crypto.getRandomValues(new Uint32Array(1))[0]}`,
    createRealtime,
    serverOptions = {},
  }) {
    this.uniqueId = uniqueId;
    this.friendlyName = friendlyName;
    this.serverOptions = serverOptions;
    this.p2pClient = null;
    this.p2pServer = null;
    this.pubSubClient = new PubSubClient(
      (message, metadata) => {
        handleMessageFromAbly(message, metadata, this.p2pClient, this.p2pServer);
      },
      { createRealtime },
    );
  }

  async host() {
    const identity = new Identity(this.friendlyName);
    this.p2pServer = new P2PServer(identity, this.uniqueId, this.pubSubClient, this.serverOptions);
    this.p2pClient = new P2PClient(identity, this.uniqueId, this.pubSubClient);

    await this.p2pServer.connect();
    await this.p2pClient.connect();
  }

  async join() {
    const identity = new Identity(this.friendlyName);
    this.p2pClient = new P2PClient(identity, this.uniqueId, this.pubSubClient);

    await this.p2pClient.connect();
  }

  /** Not in the tutorial (it has no leave): lets the benchmark close the connection when a run ends. */
  close() {
    this.pubSubClient.realtime?.close();
  }
}
