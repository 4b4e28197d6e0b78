// What a join costs, counted on what each peer's ably-js receives from the emulator, as Ably bills it (every message
// and every presence member delivered, the SYNC's included): each peer already in the session receives one small
// presence delivery; only the newcomer receives the roster (the SYNC) and the snapshot. Neither grows per peer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { waitFor } from './support/waiting.mjs';

const MAX_MESSAGE_BYTES = 64 * 1024;
const ROSTER_SIZES = [2, 10, 50];

/**
 * Count what `realtime`'s channels receive (`realtime.deliveries`: `{kind: 'message' | 'presence', bytes}` per
 * message or presence member, the markers of settled() aside) where ably-js hands each channel its protocol
 * messages: processMessage, the internal the app's inbound guard wraps too (p2p-inbound.test.mjs pins it).
 */
function countDeliveries(realtime) {
  realtime.deliveries = [];
  const get = realtime.channels.get.bind(realtime.channels);
  realtime.channels.get = (name, options) => {
    const channel = get(name, options);
    if (Object.hasOwn(channel, 'processMessage')) return channel;
    const processMessage = channel.processMessage;
    channel.processMessage = (protocolMessage) => {
      for (const [kind, entries] of [
        ['message', protocolMessage.messages],
        ['presence', protocolMessage.presence],
      ]) {
        for (const entry of entries ?? []) {
          if (kind === 'message' && entry.name?.startsWith('settled-')) continue;
          const bytes = typeof entry.data === 'string' ? entry.data.length : JSON.stringify(entry.data ?? null).length;
          realtime.deliveries.push({ kind, bytes });
        }
      }
      return processMessage.call(channel, protocolMessage);
    };
    return channel;
  };
  return realtime;
}

describe('the cost of a join on the emulator', () => {
  let emulator;
  /** roster size → what one more join delivered to whom */
  const costs = new Map();

  /** Start `count` peers and a stream, then count what one more join delivers to whom. */
  async function costOfOneJoin(count) {
    const realtimes = [];
    const session = sessionOn(emulator, undefined, {
      onClient: (realtime) => realtimes.push(countDeliveries(realtime)),
    });
    const peers = [];
    for (let index = 0; index < count; index += 1) peers.push(await session.join(`P${index}`));
    await peers[0].streamWords();
    await waitFor(() => peers.every((peer) => peer.state.receivedWords === PHRASE), {
      what: 'everyone to have the phrase',
    });
    for (const realtime of realtimes) realtime.deliveries = [];

    const newcomer = await session.join('New');
    await session.settled([...peers, newcomer]);

    const [host, ...guests] = peers;
    const all = realtimes.flatMap((realtime) => realtime.deliveries);
    const { deliveries } = newcomer.realtime;
    return {
      host: host.realtime.deliveries.length,
      guests: guests.map((guest) => guest.realtime.deliveries.length),
      newcomerMessages: deliveries.filter((delivery) => delivery.kind === 'message').length,
      newcomerPresence: deliveries.filter((delivery) => delivery.kind === 'presence').length,
      largestBytes: Math.max(...all.map((delivery) => delivery.bytes)),
    };
  }

  before(async () => {
    emulator = await startEmulator();
    for (const count of ROSTER_SIZES) costs.set(count, await costOfOneJoin(count));
  });
  after(async () => {
    await emulator?.stop();
  });

  test('a join costs each guest one presence delivery and the host two, whatever the roster size', () => {
    for (const count of ROSTER_SIZES) {
      const cost = costs.get(count);
      assert.deepEqual(new Set(cost.guests), new Set([1]), `guests with ${count} peers`);
      // The presence enter, and the newcomer's `connected` on the host's inbox.
      assert.equal(cost.host, 2, `host with ${count} peers`);
    }
  });

  test('only the newcomer receives the roster, and the largest payload does not grow with the roster', () => {
    const small = costs.get(ROSTER_SIZES[0]);
    const large = costs.get(ROSTER_SIZES.at(-1));

    // The roster arrives as one presence member per peer (the SYNC) plus the newcomer's own enter.
    assert.equal(small.newcomerPresence, ROSTER_SIZES[0] + 1);
    assert.equal(large.newcomerPresence, ROSTER_SIZES.at(-1) + 1);
    // Its messages: the rewound words and the snapshot, the same in both.
    assert.equal(large.newcomerMessages, small.newcomerMessages);
    assert.equal(large.largestBytes, small.largestBytes);
    assert.ok(large.largestBytes < MAX_MESSAGE_BYTES);
  });
});
