// How fast one peer publishes. Ably refuses a connection's publishes beyond 50 a second (42911: "Rate limit
// exceeded; request rejected"), and a host publishes in bursts: the snapshot for each of a crowd of joiners, a
// bingo round's cards. So every publish takes a token first: PUBLISH_BURST at once, then PUBLISH_RATE a second,
// which keeps any one second under 50 (the Python peer paces the same: p2p/pubsub.py). Publishes keep their order.

export const PUBLISH_BURST = 20;
export const PUBLISH_RATE = 30;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class PublishPacer {
  /**
   * @param {{burst?: number, rate?: number, now?: () => number, sleep?: (ms: number) => Promise<void>}} [options]
   *   the bucket's size and refill a second, and the clock (tests pass a fake one)
   */
  constructor({ burst = PUBLISH_BURST, rate = PUBLISH_RATE, now = Date.now, sleep: pause = sleep } = {}) {
    this.burst = burst;
    this.rate = rate;
    this.now = now;
    this.sleep = pause;
    this.tokens = burst;
    this.at = now();
    this.queue = Promise.resolve();
  }

  /** Resolves when this publish may go, after every earlier one: at once while the bucket holds a token. */
  take() {
    const turn = this.queue.then(() => this.nextToken());
    this.queue = turn;
    return turn;
  }

  async nextToken() {
    this.refill();
    if (this.tokens < 1) {
      // Whole milliseconds, so that the clock moves on: a token is due by then.
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
  }

  refill() {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}
