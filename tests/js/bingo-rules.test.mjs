// Bingo's rules (site/bingo/rules.js) against the shared vectors, tests/protocol/vectors/bingo.json, which the
// Python peer's p2p/bingo/rules.py is held to as well: the same digest, the same cards, the same verdict on a claim, the
// same snapshots kept or dropped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  BALLS,
  cardDigest,
  clampPace,
  completeLine,
  isCard,
  isRoundState,
  LINES,
  MAX_PACE_MS,
  MIN_PACE_MS,
  newCard,
  newSalt,
  nextBall,
  verifyClaim,
} from '../../site/bingo/rules.js';

const vectors = JSON.parse(readFileSync(new URL('../protocol/vectors/bingo.json', import.meta.url)));

for (const { round, clientId, salt, card, digest } of vectors.digests) {
  test(`digest: round ${round} of ${clientId}`, () => {
    assert.equal(cardDigest(round, clientId, salt, card), digest);
  });
}

for (const { card, valid, why } of vectors.cards) {
  test(`card: ${why}`, () => {
    assert.equal(isCard(card), valid);
  });
}

for (const { name, state, from, claim, verdict, line } of vectors.claims) {
  test(`claim: ${name}`, () => {
    assert.deepEqual(verifyClaim(state, from, claim), verdict === 'winner' ? { verdict, line } : { verdict });
  });
}

for (const { name, bingo, kept } of vectors.snapshots) {
  test(`snapshot: ${name}`, () => {
    assert.equal(isRoundState(bingo), kept);
  });
}

test('there are twelve lines: five rows, five columns, two diagonals, each through five cells', () => {
  assert.equal(LINES.length, 12);
  assert.deepEqual(LINES[0], [0, 1, 2, 3, 4]);
  assert.deepEqual(LINES[5], [0, 5, 10, 15, 20]);
  assert.deepEqual(LINES.slice(10), [
    [0, 6, 12, 18, 24],
    [4, 8, 12, 16, 20],
  ]);
});

test('a new card is a valid card, and two new cards differ', () => {
  const cards = Array.from({ length: 50 }, newCard);
  for (const card of cards) assert.ok(isCard(card), JSON.stringify(card));
  assert.ok(new Set(cards.map(String)).size > 1);
});

test('a new salt is 32 lowercase hex characters, new every time', () => {
  const salts = Array.from({ length: 20 }, newSalt);
  for (const salt of salts) assert.match(salt, /^[0-9a-f]{32}$/);
  assert.equal(new Set(salts).size, salts.length);
});

test('the next ball is one not called yet, until all 75 are out', () => {
  const calls = [];
  for (let i = 0; i < BALLS; i += 1) {
    const ball = nextBall(calls);
    assert.ok(ball >= 1 && ball <= BALLS && !calls.includes(ball));
    calls.push(ball);
  }
  assert.equal(nextBall(calls), null);
  assert.deepEqual(
    completeLine(newCard(), calls),
    LINES[0],
    'every line is complete once every ball is out, the first row first',
  );
});

test('a pace is kept within the protocol bounds', () => {
  assert.equal(clampPace(1), MIN_PACE_MS);
  assert.equal(clampPace(1_000_000), MAX_PACE_MS);
  assert.equal(clampPace(1500), 1500);
});
