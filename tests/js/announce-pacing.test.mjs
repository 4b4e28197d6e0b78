// A peer's announces under Ably's rate limits (site/announce-pacing.js), on a stub Ably and a clock the test moves:
// an announce refused for a rate goes again, later each time, until the host answers or another host is elected;
// any other refusal is the caller's; after a host change a big roster spreads its announces under Ably's 50 a
// second per channel, and a small one announces at once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ANNOUNCE_AT_ONCE, AnnouncePacing, spreadDelayMs } from '../../site/announce-pacing.js';
import { P2PClient } from '../../site/p2p.lib.client.js';
import { Identity } from '../../site/p2p.js';

const ABLY_CHANNEL_RATE = 50;
const refused = (code) => Object.assign(new Error(`refused (${code})`), { code });

/**
 * A P2PClient awaiting `host`, on a stub Ably whose publishes `answer(asks.length)` settles (an error rejects), and
 * whose waits are recorded and pass at once, after `onSleep(ms)`.
 */
function clientOf({ host = 'host-a', players = 2, answer = () => undefined, onSleep = () => {} } = {}) {
  const asks = [];
  const sleeps = [];
  const ably = {
    connected: true,
    async sendMessage(message, to) {
      asks.push(to);
      const error = answer(asks.length, to);
      if (error) throw error;
    },
  };
  const pacing = new AnnouncePacing({
    sleep: async (ms) => {
      sleeps.push(ms);
      onSleep(ms);
    },
  });
  const client = new P2PClient(new Identity('Me'), 'session', ably, { pacing });
  Object.assign(client.state, { status: 'acknowledged', hostClientId: host, myClientId: 'me' });
  client.state.players = Array.from({ length: players }, (_, i) => ({ clientId: `p${i}` }));
  return { client, asks, sleeps };
}

describe('announcing under Ably’s rate limits', () => {
  test('an announce refused twice for the channel’s rate goes again, later each time, and the answer acknowledges', async () => {
    const { client, asks, sleeps } = clientOf({ answer: (n) => (n <= 2 ? refused(42913) : undefined) });

    await client.announce();

    assert.deepEqual(asks, ['host-a', 'host-a', 'host-a']);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0] >= 500 && sleeps[0] <= 1000, `first wait ${sleeps[0]} ms`);
    assert.ok(sleeps[1] >= 1000 && sleeps[1] <= 2000, `second wait ${sleeps[1]} ms`);
    assert.equal(client.state.status, 'awaiting-acknowledgement');
    client.onSnapshot({ base: 0, words: [] });
    assert.equal(client.state.status, 'acknowledged');
  });

  test('each of Ably’s rate-limit refusals is asked again, and the waits stop doubling at 8 s', async () => {
    const codes = [42910, 42911, 42913, 42922, 42913, 42913, 42913];
    const { client, asks, sleeps } = clientOf({ answer: (n) => (n <= codes.length ? refused(codes[n - 1]) : null) });

    await client.announce();

    assert.equal(asks.length, codes.length + 1);
    assert.ok(
      sleeps.every((ms) => ms <= 8000),
      `waits ${sleeps.join(', ')} ms`,
    );
    assert.ok(sleeps.slice(3).every((ms) => ms >= 4000));
  });

  test('a host elected while waiting to ask again ends the asks to the old one', async () => {
    let elected = false;
    const { client, asks } = clientOf({
      answer: (_, to) => (to === 'host-a' ? refused(42913) : undefined),
      onSleep: () => {
        if (elected) return;
        elected = true;
        client.state.hostClientId = 'host-b';
        client.announce();
      },
    });

    await client.announce();

    assert.deepEqual(asks, ['host-a', 'host-b']);
    assert.equal(client.announcedTo, 'host-b');
  });

  test('an answer while waiting to ask again ends the asks', async () => {
    const { client, asks } = clientOf({
      answer: () => refused(42913),
      onSleep: () => client.onSnapshot({ base: 0, words: [] }),
    });

    await client.announce();

    assert.deepEqual(asks, ['host-a']);
    assert.equal(client.state.status, 'acknowledged');
  });

  test('a refusal that is not a rate limit is not asked again: the caller sees it', async () => {
    const { client, asks } = clientOf({ answer: () => refused(40160) });

    await assert.rejects(client.announce(), { code: 40160 });
    assert.deepEqual(asks, ['host-a']);
    assert.equal(client.announcedTo, null, 'the next roster change asks again');
  });

  test('after a host change a big roster waits at random before announcing, a small one not at all', async () => {
    const big = clientOf({ players: 100 });
    await big.client.announce({ spread: true });
    assert.equal(big.sleeps.length, 1);
    assert.ok(big.sleeps[0] <= 3000, `a roster of 100 waits within 3 s, not ${big.sleeps[0]} ms`);
    assert.deepEqual(big.asks, ['host-a']);

    const small = clientOf({ players: ANNOUNCE_AT_ONCE });
    await small.client.announce({ spread: true });
    assert.deepEqual(small.sleeps, []);
    assert.deepEqual(small.asks, ['host-a']);
  });

  test('a host elected during the spread ends the wait without asking the old host', async () => {
    const { client, asks } = clientOf({
      players: 100,
      onSleep: () => {
        client.state.hostClientId = 'host-b';
        client.announce();
      },
    });

    await client.announce({ spread: true });

    assert.deepEqual(asks, ['host-b'], 'the old host is never asked; the new one at once');
  });

  test('every roster’s spread announces stay within the new host inbox’s rate: a second’s worth at once, 50 a second after', () => {
    for (let players = 2; players <= 200; players += 1) {
      const windowS = spreadDelayMs(players, () => 1) / 1000;
      assert.ok(players - 1 <= ABLY_CHANNEL_RATE * (1 + windowS), `${players} players within ${windowS} s`);
      if (players <= ANNOUNCE_AT_ONCE) assert.equal(windowS, 0, `${players} players announce at once`);
    }
    assert.equal(
      spreadDelayMs(200, () => 1),
      7000,
    );
  });
});
