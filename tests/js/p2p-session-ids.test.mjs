import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  GENERATED_ID_ALPHABET,
  channelNameFor,
  newPeerSecret,
  isValidSessionId,
  randomSessionId,
  sessionIdFromPath,
  sessionIdProblem,
  sessionPath,
} from '../../site/session.js';

test('accepts letters, digits, dash and underscore up to 64 characters', () => {
  for (const id of ['a', 'Session', 'game_2-B', 'x'.repeat(64)]) {
    assert.equal(isValidSessionId(id), true, id);
    assert.equal(sessionIdProblem(id), null, id);
  }
});

test('rejects empty, too long and out-of-alphabet ids with a sentence saying why', () => {
  assert.equal(isValidSessionId(''), false);
  assert.match(sessionIdProblem(''), /Enter the session name/);

  assert.equal(isValidSessionId('x'.repeat(65)), false);
  assert.match(sessionIdProblem('x'.repeat(65)), /at most 64 characters \(this one has 65\)/);

  for (const id of ['my game', 'a/b', 'p2p:x', 'ünï', 'a*', '../x']) {
    assert.equal(isValidSessionId(id), false, id);
    assert.match(sessionIdProblem(id), /only letters, digits, '-' and '_'/, id);
  }
  assert.equal(isValidSessionId(undefined), false);
});

test('makes random ids that are valid, three groups of five and different each time', () => {
  const ids = new Set(Array.from({ length: 200 }, () => randomSessionId()));
  assert.equal(ids.size, 200);
  for (const id of ids) {
    assert.match(id, /^[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}$/);
    assert.equal(isValidSessionId(id), true, id);
  }
});

test('random ids have no characters people mistake for each other, nor two cases, and use every other one', () => {
  for (const lookAlike of '01ilo') assert.ok(!GENERATED_ID_ALPHABET.includes(lookAlike), lookAlike);
  assert.equal(GENERATED_ID_ALPHABET, GENERATED_ID_ALPHABET.toLowerCase());
  const seen = new Set(Array.from({ length: 500 }, () => randomSessionId().replaceAll('-', '')).join(''));
  assert.deepEqual([...seen].sort().join(''), [...GENERATED_ID_ALPHABET].sort().join(''));
});

test('ids made before the look-alike rule (any letters and digits) are still valid', () => {
  for (const id of ['faIMYrrBOjlr', 'G3IGunG2NdDC', 'HvvWxvK5nhbQ']) assert.equal(isValidSessionId(id), true, id);
});

test('peer secrets are 32 URL-safe characters (192 bits), as the token endpoint requires', () => {
  const secrets = new Set(Array.from({ length: 100 }, () => newPeerSecret()));
  assert.equal(secrets.size, 100);
  for (const secret of secrets) assert.match(secret, /^[A-Za-z0-9_-]{32}$/);
});

test('names the session channel p2p:<id> and refuses to name one for an invalid id', () => {
  assert.equal(channelNameFor('abc_1'), 'p2p:abc_1');
  assert.throws(() => channelNameFor('a:b'), /Invalid session id/);
  assert.throws(() => channelNameFor(''), /Invalid session id/);
});

test('reads the session id from a deep link and round-trips sessionPath', () => {
  assert.equal(sessionPath('abc-1'), '/s/abc-1');
  assert.equal(sessionIdFromPath(sessionPath('abc-1')), 'abc-1');
  assert.equal(sessionIdFromPath('/s/abc-1/'), 'abc-1');
  for (const path of ['/', '/s', '/S/abc', '/index.html', '/x/s/abc']) {
    assert.equal(sessionIdFromPath(path), null, path);
  }
});

test('a mangled invite link gives what it holds, which the form then explains', () => {
  const mangled = {
    '/s/': '',
    '/s/my%20game': 'my game',
    '/s/a/b': 'a/b',
    '/s/..%2F..': '../..',
    '/s/%E0%A4%A': '%E0%A4%A',
    '/s/%3C%2Fscript%3E': '</script>',
    '/s/abc.': 'abc.',
  };
  for (const [path, held] of Object.entries(mangled)) {
    assert.equal(sessionIdFromPath(path), held, path);
    assert.notEqual(sessionIdProblem(held), null, path);
  }
});
