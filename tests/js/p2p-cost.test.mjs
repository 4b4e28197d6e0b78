// What a join costs, counted on the in-memory fake: each peer already in the session receives one small presence
// delivery; only the newcomer receives the roster (presence SYNC) and the snapshot. Neither grows per peer.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fakeSession } from './support/p2p-fake-session.mjs';

const MAX_MESSAGE_BYTES = 64 * 1024;

/** Start `count` peers, then count what one more join delivers to whom. */
async function costOfOneJoin(count) {
  let now = 1_000_000;
  const { network, join } = fakeSession({ now: () => (now += 1) });
  const peers = [];
  for (let index = 0; index < count; index += 1) peers.push(await join(`P${index}`));
  await peers[0].streamWords();
  await network.settle();
  for (const realtime of network.realtimes) realtime.deliveries = [];

  const newcomer = await join('New');

  const [host, ...guests] = peers;
  const all = network.realtimes.flatMap((realtime) => realtime.deliveries);
  return {
    host: host.realtime.deliveries.length,
    guests: guests.map((guest) => guest.realtime.deliveries.length),
    newcomerMessages: newcomer.realtime.deliveries.filter((delivery) => delivery.kind === 'message').length,
    newcomerPresence: newcomer.realtime.deliveries.filter((delivery) => delivery.kind === 'presence').length,
    largestBytes: Math.max(...all.map((delivery) => delivery.bytes)),
  };
}

test('a join costs each guest one presence delivery and the host two, whatever the roster size', async () => {
  for (const count of [2, 10, 50]) {
    const cost = await costOfOneJoin(count);
    assert.deepEqual(new Set(cost.guests), new Set([1]), `guests with ${count} peers`);
    // The presence enter, and the newcomer's `connected` on the host's inbox.
    assert.equal(cost.host, 2, `host with ${count} peers`);
  }
});

test('only the newcomer receives the roster, and the largest payload does not grow with the roster', async () => {
  const small = await costOfOneJoin(2);
  const large = await costOfOneJoin(50);

  // The roster arrives as one presence member per peer (the SYNC) plus the newcomer's own enter.
  assert.equal(small.newcomerPresence, 2 + 1 + 1);
  assert.equal(large.newcomerPresence, 50 + 1 + 1);
  // Its messages: the rewound words and the snapshot, the same in both.
  assert.equal(large.newcomerMessages, small.newcomerMessages);
  assert.equal(large.largestBytes, small.largestBytes);
  assert.ok(large.largestBytes < MAX_MESSAGE_BYTES);
});
