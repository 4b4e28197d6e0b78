// Words are merged by index, so rewind, snapshot and replay in any combination never show a gap or a duplicate,
// and whatever a host sends, a peer keeps at most one phrase of words ahead of a gap.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_PENDING_WORDS, MAX_WORD_LENGTH, mergeWords } from '../../site/p2p.lib.client.js';
import { currentPhrase, PHRASE_WORDS } from '../../site/p2p.lib.server.js';

const known = (words = [], base = 0) => ({ base, words: words.slice() });

test('words arriving in order extend the list in place', () => {
  const pending = new Map();
  const words = known();
  assert.deepEqual(mergeWords(words, pending, [[0, 'The']]), ['The']);
  assert.deepEqual(mergeWords(words, pending, [[1, 'quick']]), ['quick']);
  assert.deepEqual(words.words, ['The', 'quick']);
});

test('a duplicate index changes nothing, even with a different word', () => {
  const pending = new Map();
  const words = known(['The', 'quick']);
  const incoming = [
    [1, 'quick'],
    [0, 'A'],
    [1, 'slow'],
  ];
  assert.deepEqual(mergeWords(words, pending, incoming), []);
  assert.deepEqual(words.words, ['The', 'quick']);
  assert.equal(pending.size, 0);
});

test('a word after a gap waits, and appears once the gap is filled, in index order', () => {
  const pending = new Map();
  const words = known(['The']);
  assert.deepEqual(mergeWords(words, pending, [[3, 'fox']]), []);
  assert.deepEqual(mergeWords(words, pending, [[2, 'brown']]), []);
  assert.deepEqual(mergeWords(words, pending, [[1, 'quick']]), ['quick', 'brown', 'fox']);
  assert.deepEqual(words.words, ['The', 'quick', 'brown', 'fox']);
  assert.equal(pending.size, 0);
});

test('a snapshot that overlaps what was received fills the gap without repeating anything', () => {
  const pending = new Map();
  const words = known();
  mergeWords(words, pending, [
    [4, 'jumped'],
    [5, 'over'],
  ]);
  const snapshot = ['The', 'quick', 'brown', 'fox', 'jumped'].map((word, index) => [index, word]);
  mergeWords(words, pending, snapshot);
  assert.deepEqual(words.words, ['The', 'quick', 'brown', 'fox', 'jumped', 'over']);
});

test('words count from the base: a peer that started at a later phrase merges by the same indices', () => {
  const pending = new Map();
  const words = known([], 900);
  assert.deepEqual(mergeWords(words, pending, [[899, 'dog']]), []);
  assert.deepEqual(mergeWords(words, pending, [[900, 'The']]), ['The']);
});

test('malformed entries are ignored: wrong types, negative or fractional indices, huge words', () => {
  const pending = new Map();
  const words = known();
  const malformed = [
    [-1, 'x'],
    [0.5, 'x'],
    ['0', 'x'],
    [0, 7],
    [0, null],
    [0, ['The']],
    [Number.NaN, 'x'],
    [2 ** 53, 'x'],
    [0, 'x'.repeat(MAX_WORD_LENGTH + 1)],
    [0, 'x'.repeat(1_000_000)],
  ];
  assert.deepEqual(mergeWords(words, pending, malformed), []);
  assert.equal(pending.size, 0);
});

test('however many far-off words a host sends, at most a phrase of them wait, the nearest ones', () => {
  const pending = new Map();
  const words = known();
  const far = Array.from({ length: 100_000 }, (_, i) => [100_000 - i, `w${i}`]);
  mergeWords(words, pending, far);
  assert.equal(MAX_PENDING_WORDS, PHRASE_WORDS.length);
  assert.equal(pending.size, MAX_PENDING_WORDS);
  assert.deepEqual(
    [...pending.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  mergeWords(words, pending, [[0, 'The']]);
  assert.equal(words.words.length, MAX_PENDING_WORDS);
  assert.equal(pending.size, 0);
});

test("the phrase a newcomer needs is the current one, or the last complete one, whatever the session's length", () => {
  const phrase = PHRASE_WORDS.length;
  assert.deepEqual(currentPhrase(0, []), { base: 0, words: [] });
  assert.deepEqual(currentPhrase(0, ['a', 'b']), { base: 0, words: ['a', 'b'] });
  assert.deepEqual(currentPhrase(0, PHRASE_WORDS), { base: 0, words: PHRASE_WORDS });
  const twoAndABit = [...PHRASE_WORDS, ...PHRASE_WORDS, 'The'];
  assert.deepEqual(currentPhrase(0, twoAndABit), { base: 2 * phrase, words: ['The'] });
  assert.deepEqual(currentPhrase(1000 * phrase, ['The', 'quick']), { base: 1000 * phrase, words: ['The', 'quick'] });
});
