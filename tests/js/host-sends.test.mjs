// The host's messages to one peer under Ably's rate limits (site/host-sends.js), through P2PServer on a stub Ably
// and a clock the test moves: an answer refused for a rate goes again after the announce's back-off, with the
// snapshot as it is then; not once the peer has left or this peer stopped hosting; and a newer answer supersedes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { P2PServer } from '../../site/p2p.lib.server.js';

const refused = (code) => Object.assign(new Error(`refused (${code})`), { code });

/** A P2PServer whose publishes `answer(n)` settles (an error rejects) and whose back-offs wait for `wake()`. */
function serverOf(answer) {
  const sent = [];
  const waits = [];
  let tries = 0;
  const ably = {
    async sendMessage(message, to) {
      tries += 1;
      const error = answer(tries);
      if (error) throw error;
      sent.push({ ...message, to });
    },
  };
  const sleep = (ms) => new Promise((resolve) => waits.push({ ms, resolve }));
  const server = new P2PServer(ably, { retryClock: { sleep }, now: () => 0 });
  server.playersChanged([{ clientId: 'jo' }]);
  const wake = async () => {
    await waitForWait();
    waits.shift().resolve();
  };
  const waitForWait = async () => {
    for (let turns = 0; turns < 100 && waits.length === 0; turns += 1) await Promise.resolve();
    assert.ok(waits.length > 0, 'a back-off is under way');
  };
  return { server, sent, waits, wake, waitForWait, tries: () => tries };
}

test('an answer refused for the inbox’s rate is sent again after a back-off, with the snapshot as it is then', async () => {
  const { server, sent, waits, wake, waitForWait } = serverOf((n) => (n === 1 ? refused(42913) : null));
  const answered = server.answerConnected('jo');
  await waitForWait();
  assert.ok(waits[0].ms >= 500 && waits[0].ms <= 1000, `first back-off ${waits[0].ms} ms`);
  server.parts.words.state.words.push('The');
  await wake();
  await answered;
  assert.deepEqual(sent, [{ kind: 'connection-acknowledged', base: 0, words: ['The'], to: 'jo' }]);
});

test('an answer refused for a peer that has since left is not sent again', async () => {
  const { server, sent, wake, tries } = serverOf(() => refused(42913));
  const answered = server.sendTo('jo', 'bingo-card', { round: 1 });
  server.playersChanged([]);
  await wake();
  await answered;
  assert.equal(tries(), 1);
  assert.deepEqual(sent, []);
});

test('an answer refused after this peer stopped hosting is not sent again', async () => {
  const { server, wake, tries } = serverOf(() => refused(42913));
  const answered = server.sendTo('jo', 'connection-acknowledged', {});
  server.stop();
  await wake();
  await answered;
  assert.equal(tries(), 1);
});

test('a newer message of the same kind to the same peer supersedes a refused one', async () => {
  const { server, sent, wake } = serverOf((n) => (n === 1 ? refused(42913) : null));
  const first = server.sendTo('jo', 'bingo-card', { round: 1 });
  await server.sendTo('jo', 'bingo-card', { round: 2 });
  await wake();
  await first;
  assert.deepEqual(sent, [{ kind: 'bingo-card', round: 2, to: 'jo' }]);
  assert.equal(server.sends.pending.size, 0);
});

test('any other refusal is the caller’s, not sent again', async () => {
  const { server, tries } = serverOf(() => refused(40160));
  await assert.rejects(server.sendTo('jo', 'bingo-card', { round: 1 }), { code: 40160 });
  assert.equal(tries(), 1);
});
