/**
 * One peer running the tutorial's protocol (bench/tutorial/), the baseline. Its roster is the host's
 * `serverState.players` as this peer last received it; it is read after every message the peer handles, as the
 * tutorial's Vue page re-renders after each.
 *
 * Its Ably client is the site's (site/ably-client.js): tokens from the same dev host's /api/createTokenRequest,
 * over HTTP, as the tutorial's page got them from its own function (its `authUrl`). So both protocols pay the same
 * for a token, and the comparison is of the protocols alone.
 */
import { createAblyClient, loadAbly } from '../../site/ably-client.js';
import { newPeerSecret } from '../../site/session-id.js';
import { TutorialPeer as Tutorial } from '../tutorial/app.js';
import { emit, reportingConnected, RosterWatch, whenClosed } from './observe.mjs';

const Ably = await loadAbly();

export class TutorialPeer {
  constructor(name, sessionId, { devHostUrl, clientConfig, role, wordIntervalMs, phrase }) {
    this.name = name;
    this.role = role;
    this.watch = new RosterWatch(name);
    this.wordsSeen = 0;
    this.wordsSent = 0;
    const secret = newPeerSecret();
    this.peer = new Tutorial({
      uniqueId: sessionId,
      friendlyName: name,
      serverOptions: { wordIntervalMs, phrase },
      createRealtime: () =>
        reportingConnected(createAblyClient({ Ably, clientConfig, sessionId, secret, origin: devHostUrl }), name),
    });
    const pubSub = this.peer.pubSubClient;
    const received = pubSub.onMessageReceivedCallback;
    pubSub.onMessageReceivedCallback = (message, metadata) => {
      received(message, metadata);
      this.afterMessage(message);
    };
    const sendMessage = pubSub.sendMessage.bind(pubSub);
    pubSub.sendMessage = (message, target) => {
      if (message.kind === 'word') emit({ e: 'sent', p: this.name, i: this.wordsSent++ });
      return sendMessage(message, target);
    };
  }

  afterMessage(message) {
    const client = this.peer.p2pClient;
    if (!client) return;
    const players = client.serverState?.players;
    if (Array.isArray(players)) this.watch.roster(players.map((player) => String(player?.clientId)));
    this.watch.statusIs(client.state.status);
    if (message?.kind === 'word') emit({ e: 'word', p: this.name, i: this.wordsSeen++ });
  }

  /** Host or join as the tutorial's buttons do; returns this peer's identity (a uint32, as a string). */
  async start() {
    await (this.role === 'host' ? this.peer.host() : this.peer.join());
    const client = this.peer.p2pClient;
    this.watch.statusIs(client.state.status);
    if (this.role === 'host') this.watch.hostIs(String(client.identity.clientId));
    return String(client.identity.clientId);
  }

  stream() {
    if (!this.peer.p2pServer) throw new Error('Only the host can stream words.');
    return this.peer.p2pServer.sendWordsAcrossMultipleMessages();
  }

  close() {
    this.peer.close();
    return whenClosed(this.peer.pubSubClient.realtime);
  }
}
