// Words are merged by index, so rewind, snapshot and replay in any combination never show a gap or a duplicate.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mergeWords } from '../../site/p2p.lib.client.js';

test('words arriving in order extend the list', () => {
  const pending = new Map();
  assert.deepEqual(mergeWords([], pending, [[0, 'The']]), ['The']);
  assert.deepEqual(mergeWords(['The'], pending, [[1, 'quick']]), ['The', 'quick']);
});

test('a duplicate index changes nothing, even with a different word', () => {
  const pending = new Map();
  assert.equal(
    mergeWords(['The', 'quick'], pending, [
      [1, 'quick'],
      [0, 'A'],
      [1, 'slow'],
    ]),
    null,
  );
  assert.equal(pending.size, 0);
});

test('a word after a gap waits, and appears once the gap is filled, in index order', () => {
  const pending = new Map();
  assert.equal(mergeWords(['The'], pending, [[3, 'fox']]), null);
  assert.equal(mergeWords(['The'], pending, [[2, 'brown']]), null);
  assert.deepEqual(mergeWords(['The'], pending, [[1, 'quick']]), ['The', 'quick', 'brown', 'fox']);
  assert.equal(pending.size, 0);
});

test('a snapshot that overlaps what was received fills the gap without repeating anything', () => {
  const pending = new Map();
  mergeWords([], pending, [
    [4, 'jumped'],
    [5, 'over'],
  ]);
  const snapshot = ['The', 'quick', 'brown', 'fox', 'jumped'].map((word, index) => [index, word]);
  assert.deepEqual(mergeWords([], pending, snapshot), ['The', 'quick', 'brown', 'fox', 'jumped', 'over']);
});

test('malformed entries are ignored', () => {
  const pending = new Map();
  assert.equal(
    mergeWords([], pending, [
      [-1, 'x'],
      [0.5, 'x'],
      ['0', 'x'],
      [0, 7],
      [0, null],
      [Number.NaN, 'x'],
    ]),
    null,
  );
  assert.equal(pending.size, 0);
});
