/**
 * What the benchmark watches in each peer, reported as one JSON line per change on stdout:
 * `{e: 'roster', p, t, add, del}` (clientIds that appeared in or left this peer's roster), `{e: 'host', p, t, host}`,
 * `{e: 'status', p, t, status}`, `{e: 'word', p, t, i}` (word `i` became visible), `{e: 'sent', p, t, i}` (the host
 * is about to publish word `i`), `{e: 'connected', p, t}` (its Ably connection first connected: token and WebSocket). `t` is wall-clock milliseconds with sub-millisecond precision, comparable between
 * the Node processes of one machine.
 */
export const now = () => performance.timeOrigin + performance.now();

export function emit(event) {
  process.stdout.write(`${JSON.stringify({ ...event, t: event.t ?? now() })}\n`);
}

/** Tracks one peer's roster as a set and reports only what changed, so N peers × N joins stay cheap to report. */
export class RosterWatch {
  constructor(peer) {
    this.peer = peer;
    this.ids = new Set();
    this.host = null;
    this.status = null;
  }

  roster(ids) {
    const next = new Set(ids);
    const add = [...next].filter((id) => !this.ids.has(id));
    const del = [...this.ids].filter((id) => !next.has(id));
    this.ids = next;
    if (add.length || del.length) emit({ e: 'roster', p: this.peer, add, del });
  }

  /** Some players joined (`add`) or left (`del`) the roster, as one splice of the site's players list says. */
  moved(add, del) {
    const gone = del.filter((id) => this.ids.delete(id));
    const came = add.filter((id) => !this.ids.has(id) && this.ids.add(id));
    if (came.length || gone.length) emit({ e: 'roster', p: this.peer, add: came, del: gone });
  }

  hostIs(host) {
    if (host === this.host) return;
    this.host = host;
    emit({ e: 'host', p: this.peer, host });
  }

  statusIs(status) {
    if (status === this.status) return;
    this.status = status;
    emit({ e: 'status', p: this.peer, status });
  }
}

/** An Ably client that reports, once, when its connection first connects (the token fetched, the WebSocket open). */
export function reportingConnected(realtime, peer) {
  realtime.connection.once('connected', () => emit({ e: 'connected', p: peer }));
  return realtime;
}

const CLOSE_WAIT_MS = 3_000;

/** Resolves when the Ably client's connection is closed (its CLOSE frame sent and answered), or after 3 s. */
export function whenClosed(realtime) {
  return new Promise((resolve) => {
    const state = realtime?.connection?.state;
    if (!realtime || ['closed', 'failed', 'initialized'].includes(state)) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, CLOSE_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    realtime.connection.once('closed', done);
    realtime.connection.once('failed', done);
  });
}
