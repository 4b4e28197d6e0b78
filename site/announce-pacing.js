// When a peer asks the host for its snapshot (`connected`, on the host's inbox), and when it asks again. The host's
// inbox is one channel, and Ably refuses a channel's publishes beyond 50 a second (42913): when the host of a big
// session leaves, every other peer would ask the new host in the same instant. So after a host change each peer
// waits a random delay within a window that keeps the whole roster's asks near ANNOUNCE_RATE a second (no wait when
// there are ANNOUNCE_AT_ONCE players or fewer), and an ask Ably refuses for a rate (a herd all the same, a flood of
// the host's inbox) is asked again later, while the peer still awaits that host. The Python peer has the same
// numbers (p2p/rules.py) and the same rule (p2p/announce_pacing.py).

/** Players that re-announce at once after a host change; a bigger roster spreads its asks. */
export const ANNOUNCE_AT_ONCE = 25;
/** Asks a second the roster's spread asks come at, on average: half of Ably's 50 a second per channel. */
export const ANNOUNCE_RATE = 25;
/** A refused ask is asked again within a window that starts this long and doubles... */
export const RETRY_FIRST_MS = 1000;
/** ...up to this long. */
export const RETRY_MAX_MS = 8000;
/** Ably's nonfatal rate-limit refusals: a publish refused with one of these may go later. */
export const RATE_LIMIT_CODES = Object.freeze([42910, 42911, 42913, 42922]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether Ably refused a publish for a rate (nonfatally), so the same publish may go later. */
export function isRateLimited(error) {
  return RATE_LIMIT_CODES.includes(error?.code);
}

/**
 * How long to wait, at random, before re-announcing to a new host in a roster of `players`: within
 * max(0, players − ANNOUNCE_AT_ONCE) / ANNOUNCE_RATE seconds, so 200 players take 7 s, 25 none.
 */
export function spreadDelayMs(players, random = Math.random) {
  return Math.round((Math.max(0, players - ANNOUNCE_AT_ONCE) / ANNOUNCE_RATE) * 1000 * random());
}

/**
 * How long to wait before asking again after refusal number `refusals` (1 for the first): in the later half of a
 * window doubling from RETRY_FIRST_MS to RETRY_MAX_MS, so asks spread out yet come at most two a second, then one
 * every 4 s.
 */
export function retryDelayMs(refusals, random = Math.random) {
  const windowMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (refusals - 1));
  return Math.round((windowMs * (1 + random())) / 2);
}

/** One peer's asks of its host: the latest one goes on, an earlier one stops at its next wait. */
export class AnnouncePacing {
  /** @param {{sleep?: (ms: number) => Promise<void>, random?: () => number}} [options] tests pass a fake clock */
  constructor({ sleep: pause = sleep, random = Math.random } = {}) {
    this.sleep = pause;
    this.random = random;
    this.latest = null;
  }

  /**
   * Ask (`ask()` publishes the `connected`), after the spread for a roster of `spreadOver` players (0: at once),
   * and again after each rate-limit refusal, for as long as `awaiting()` holds and no later call was made. Resolves
   * once an ask is accepted or the peer no longer awaits; rejects with any other error of `ask()`.
   * @param {() => Promise<void>} ask
   * @param {{awaiting: () => boolean, spreadOver?: number}} options
   */
  async announce(ask, { awaiting, spreadOver = 0 }) {
    const turn = {};
    this.latest = turn;
    const goOn = () => this.latest === turn && awaiting();
    const spreadMs = spreadDelayMs(spreadOver, this.random);
    if (spreadMs > 0) {
      await this.sleep(spreadMs);
      if (!goOn()) return;
    }
    for (let refusals = 1; ; refusals += 1) {
      try {
        await ask();
        return;
      } catch (error) {
        if (!isRateLimited(error)) throw error;
        await this.sleep(retryDelayMs(refusals, this.random));
        if (!goOn()) return;
      }
    }
  }
}
