import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Identity, MAX_FRIENDLY_NAME_LENGTH, normalizeFriendlyName } from '../../site/p2p.js';

test('keeps a typed name, trimmed', () => {
  assert.equal(new Identity('  Ada Lovelace ').friendlyName, 'Ada Lovelace');
});

test('gives someone who typed no name a random Player-<n> name', () => {
  const names = new Set();
  for (const typed of [undefined, '', '   ', '\u0000\u0007']) {
    const { friendlyName } = new Identity(typed);
    assert.match(friendlyName, /^Player-\d{4}$/);
    names.add(friendlyName);
  }
  assert.ok(names.size > 1, 'defaults differ between identities');
});

test('cuts names to 32 characters without splitting a character', () => {
  assert.equal(MAX_FRIENDLY_NAME_LENGTH, 32);
  assert.equal(new Identity('x'.repeat(100)).friendlyName, 'x'.repeat(32));
  const emoji = '😀'.repeat(40);
  assert.equal(Array.from(new Identity(emoji).friendlyName).length, 32);
  assert.equal(new Identity(emoji).friendlyName, '😀'.repeat(32));
});

test('removes control characters and bidi overrides and collapses whitespace', () => {
  assert.equal(normalizeFriendlyName('Eve\u202Eevil\u0000'), 'Eveevil');
  assert.equal(normalizeFriendlyName('a \t\n  b'), 'a b');
  assert.equal(normalizeFriendlyName(null), '');
});

test("a name that is not a string (a hostile peer's presence data) is no name, and a huge one costs no more than a long one", () => {
  assert.equal(normalizeFriendlyName(42), '');
  assert.equal(normalizeFriendlyName({ toString: () => 'Host' }), '');
  assert.equal(normalizeFriendlyName(['Host']), '');
  assert.equal(normalizeFriendlyName(`Bob${' '.repeat(1_000_000)}x`), 'Bob');
});

test('keeps markup as plain text (rendering escapes it)', () => {
  assert.equal(new Identity('<img src=x onerror=alert(1)>').friendlyName, '<img src=x onerror=alert(1)>');
});
