// The host's messages to one peer, on that peer's inbox: the snapshot answering its `connected`, its bingo card, a
// verdict. Any player may publish to any inbox, so a hostile one can use up a joiner's inbox rate (Ably refuses a
// channel's publishes beyond 50 a second, 42913) and the host's answer would be refused once and lost: the joiner
// would await the host for ever. So a message refused for a rate goes again after the announce's back-off
// (announce-pacing.js: the same codes and windows), while that peer is in the roster and this peer hosts; a newer
// message of the same kind to the same peer supersedes it. The Python host does the same (p2p/host_sends.py).
import { AnnouncePacing } from './announce-pacing.js';

export class HostSends {
  /**
   * @param {import('./p2p.js').PubSubClient} ably
   * @param {{goOn: (clientId: string) => boolean, sleep?: (ms: number) => Promise<void>, random?: () => number}}
   *   options `goOn(clientId)`: whether a refused message to that peer is still worth sending (it is in the roster
   *   and this peer hosts); tests pass a fake clock
   */
  constructor(ably, { goOn, ...clock }) {
    this.ably = ably;
    this.goOn = goOn;
    this.clock = clock;
    // `[clientId, kind]` → the AnnouncePacing of its pending message: the latest send goes on, an earlier one stops.
    this.pending = new Map();
  }

  /**
   * Send `kind` to `clientId`'s inbox, again after each rate-limit refusal while `goOn(clientId)` and no newer
   * message of that kind went to that peer. `payload` may be a function, called at each try, so that a message
   * sent again carries the state as it is then (the latest snapshot). Resolves once Ably accepts it or it is no
   * longer worth sending; rejects with any other error of Ably's.
   * @param {string} clientId
   * @param {string} kind
   * @param {object | (() => object)} payload
   */
  send(clientId, kind, payload) {
    const key = JSON.stringify([clientId, kind]);
    const pacing = this.pending.get(key) ?? new AnnouncePacing(this.clock);
    this.pending.set(key, pacing);
    const publish = () =>
      this.ably.sendMessage({ ...(typeof payload === 'function' ? payload() : payload), kind }, clientId);
    const sending = pacing.announce(publish, { awaiting: () => this.goOn(clientId) });
    const turn = pacing.latest;
    return sending.finally(() => {
      if (pacing.latest === turn) this.pending.delete(key);
    });
  }
}
