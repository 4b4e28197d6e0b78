/**
 * One peer running the site's own P2P classes (`P2PSession` from site/p2p.session.js) with ably-js against the
 * emulator, its Ably client built by the site's own site/ably-client.js (tokens from the dev host's
 * /api/createTokenRequest, retried as a browser's are). Its state is watched through the `reactive` hook P2PSession
 * offers Vue: a proxy that reports every field the session sets, and the players list's splices (the roster
 * changes in place, one player per presence event).
 */
import { createAblyClient, loadAbly } from '../../site/ably-client.js';
import { P2PSession } from '../../site/p2p.session.js';
import { emit, now, reportingConnected, RosterWatch, whenClosed } from './observe.mjs';

/** ably-js, loaded once per worker as the page loads it. */
const Ably = await loadAbly();

export class SitePeer {
  constructor(name, sessionId, { devHostUrl, clientConfig, wordIntervalMs }) {
    this.name = name;
    this.watch = new RosterWatch(name);
    this.wordsSeen = 0;
    this.session = new P2PSession({
      sessionId,
      friendlyName: name,
      wordIntervalMs,
      reactive: (state) => this.observed(state),
      // As the page does: the session, and this peer's secret (token renewals keep the clientId).
      createRealtime: (id, { peer }) =>
        reportingConnected(
          createAblyClient({ Ably, clientConfig, sessionId: id, secret: peer, origin: devHostUrl }),
          name,
        ),
    });
    this.session.on('error', ({ summary, error }) =>
      emit({ e: 'error', p: name, message: `${summary} ${error?.message ?? error}` }),
    );
  }

  observed(state) {
    return new Proxy(state, {
      set: (target, key, value) => {
        target[key] = key === 'players' ? this.watchedPlayers(value) : value;
        this.changed(key, value, target);
        return true;
      },
    });
  }

  /** The players list, reporting each splice's players in and out (O(1) per presence event, as the site's). */
  watchedPlayers(players) {
    const { watch } = this;
    return new Proxy(players, {
      get(target, key, receiver) {
        if (key !== 'splice') return Reflect.get(target, key, receiver);
        return (...args) => {
          const removed = Array.prototype.splice.apply(target, args);
          const ids = (list) => list.map((player) => player.clientId);
          watch.moved(ids(args.slice(2)), ids(removed));
          return removed;
        };
      },
    });
  }

  changed(key, value, state) {
    if (key === 'players') this.watch.roster(value.map((player) => player.clientId));
    else if (key === 'hostClientId') this.watch.hostIs(value);
    else if (key === 'status') this.watch.statusIs(value);
    else if (key === 'receivedWords') {
      const t = now();
      const base = state.wordBase ?? 0;
      const next = base + (state.words?.length ?? 0);
      this.wordsSeen = Math.max(this.wordsSeen, base);
      for (; this.wordsSeen < next; this.wordsSeen += 1) emit({ e: 'word', p: this.name, i: this.wordsSeen, t });
    }
  }

  /** Join: returns this peer's clientId once it is connected, present and has announced itself. */
  async start() {
    await this.session.start();
    const sendMessage = this.session.ably.sendMessage.bind(this.session.ably);
    this.session.ably.sendMessage = (message, target) => {
      if (message.kind === 'word') emit({ e: 'sent', p: this.name, i: message.index });
      return sendMessage(message, target);
    };
    return this.session.state.myClientId;
  }

  stream() {
    return this.session.streamWords();
  }

  /** A hostile player: `count` `connected` to the host's inbox at once (the host should coalesce them). */
  flood(count) {
    const host = this.session.state.hostClientId;
    return Promise.all(Array.from({ length: count }, () => this.session.send('connected', {}, { to: host })));
  }

  close() {
    const { realtime } = this.session;
    this.session.close();
    return whenClosed(realtime);
  }
}
