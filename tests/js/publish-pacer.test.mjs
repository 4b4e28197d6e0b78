// PublishPacer (site/publish-pacer.js): a peer's publishes stay under Ably's 50 a second whatever bursts it makes,
// in the order asked; and on the emulator with Ably's rate enforced, a burst a host makes is accepted whole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Identity, PubSubClient } from '../../site/p2p.js';
import { PUBLISH_BURST, PublishPacer } from '../../site/publish-pacer.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';

const ABLY_RATE = 50;

/** A pacer on a fake clock: sleeping moves the clock, so the times of the takes are exact. */
function pacedOnFakeClock() {
  let clock = 0;
  const pacer = new PublishPacer({
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return { pacer, now: () => clock };
}

describe('PublishPacer', () => {
  test('lets a burst of a few go at once, then keeps any one second under Ably’s 50, in order', async () => {
    const { pacer, now } = pacedOnFakeClock();
    const times = [];
    await Promise.all(Array.from({ length: 200 }, (_, index) => pacer.take().then(() => times.push([index, now()]))));

    assert.deepEqual(
      times.map(([index]) => index),
      [...Array(200).keys()],
      'in the order asked',
    );
    assert.ok(
      times.slice(0, PUBLISH_BURST).every(([, at]) => at === 0),
      'the first few at once',
    );
    for (const [, start] of times) {
      const inSecond = times.filter(([, at]) => at >= start && at < start + 1000).length;
      assert.ok(inSecond <= ABLY_RATE, `${inSecond} publishes in the second from ${start} ms`);
    }
  });

  test('takes at once again after a quiet while', async () => {
    const { pacer, now } = pacedOnFakeClock();
    for (let i = 0; i < 3 * PUBLISH_BURST; i += 1) await pacer.take();
    const before = now();
    pacer.at -= 10_000; // ten quiet seconds
    await pacer.take();
    assert.equal(now(), before);
  });
});

describe('a host’s burst on the emulator with Ably’s publish rate enforced', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator({ flags: ['--max-connection-publish-rate', String(ABLY_RATE)] });
  });
  after(async () => {
    await emulator?.stop();
  });

  test('is accepted whole: 120 messages at once, none refused (42911), all delivered in order', async (t) => {
    const session = sessionOn(emulator, t);
    const pubSub = new PubSubClient({ createRealtime: () => session.client('host-id') });
    t.after(() => pubSub.close());
    await pubSub.connect(new Identity('Host'), session.id);

    await Promise.all(Array.from({ length: 120 }, (_, n) => pubSub.sendMessage({ kind: 'card', n })));

    const published = await session.history(session.channel);
    assert.deepEqual(
      published.map((message) => message.data.n),
      [...Array(120).keys()],
    );
  });
});
