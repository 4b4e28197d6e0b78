/**
 * Message deltas with ably-js (channel param `delta: 'vcdiff'`, emulator/delta.py): with its VCDIFF plugin
 * (`@ably/vcdiff-decoder`) a subscriber receives every message intact, all but the first as deltas; one whose plugin
 * fails on a delta re-attaches (40018) and still receives every message; a client without the param is unaffected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import vcdiffDecoder from '@ably/vcdiff-decoder';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { Inbox, uniqueName } from './support/realtime.mjs';
import { within } from './support/waiting.mjs';

// Successive states of one object, then text and bytes, as a game would publish them.
const PUBLISHED = [
  { player: 'alice', score: 1, board: Array(20).fill(['x', '', 'o']).flat() },
  { player: 'alice', score: 2, board: Array(20).fill(['x', '', 'o']).flat() },
  'héllo wörld ✓',
  'héllo wörld ✓✓',
  Buffer.from([0, 1, 2, 255, 0, 1, 2, 255, 0, 1, 2, 255]),
  { player: 'bob', score: 3 },
];

/** ably-js's plugin, counting the deltas it applies; it fails the first `failures` of them. */
function countingDecoder(failures = 0) {
  return {
    calls: 0,
    decode(delta, base) {
      this.calls += 1;
      if (this.calls <= failures) throw new Error('this decoder fails on purpose');
      return vcdiffDecoder.decode(delta, base);
    },
  };
}

function received(inbox) {
  return inbox.messages.map((message) => (Buffer.isBuffer(message.data) ? [...message.data] : message.data));
}

const EXPECTED = PUBLISHED.map((data) => (Buffer.isBuffer(data) ? [...data] : data));

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

async function publishAll(name, format) {
  const channel = emulator.rest({ format }).channels.get(name);
  for (const data of PUBLISHED) await within(channel.publish('state', data), { what: 'a publish' });
}

for (const format of FORMATS) {
  describe(`message deltas (${format})`, () => {
    test('a delta subscriber receives every message intact, all but the first as deltas', async (t) => {
      const name = uniqueName('delta');
      const decoder = countingDecoder();
      const client = emulator.realtime({ format, ably: { plugins: { vcdiff: decoder } } }, t);
      const inbox = new Inbox(client.channels.get(name, { params: { delta: 'vcdiff' } }));
      const plain = new Inbox(emulator.realtime({ format }, t).channels.get(name));
      await Promise.all([inbox.attached, plain.attached]);
      await publishAll(name, format);
      await Promise.all([inbox.waitForCount(PUBLISHED.length), plain.waitForCount(PUBLISHED.length)]);
      assert.deepEqual(received(inbox), EXPECTED);
      assert.deepEqual(received(plain), EXPECTED);
      assert.equal(decoder.calls, PUBLISHED.length - 1);
    });

    test('a subscriber that cannot decode a delta re-attaches (40018) and misses nothing', async (t) => {
      const name = uniqueName('delta-recovery');
      const client = emulator.realtime({ format, ably: { plugins: { vcdiff: countingDecoder(1) } } }, t);
      const channel = client.channels.get(name, { params: { delta: 'vcdiff' } });
      const inbox = new Inbox(channel);
      await inbox.attached;
      const reasons = [];
      channel.on('attaching', (change) => reasons.push(change.reason?.code));
      await publishAll(name, format);
      await inbox.waitForCount(PUBLISHED.length);
      assert.deepEqual(received(inbox), EXPECTED);
      assert.deepEqual(reasons, [40018]);
    });
  });
}
