import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  channelNameFor,
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

test('makes random ids that are valid, 12 characters long and different each time', () => {
  const ids = new Set(Array.from({ length: 200 }, () => randomSessionId()));
  assert.equal(ids.size, 200);
  for (const id of ids) {
    assert.equal(id.length, 12);
    assert.equal(isValidSessionId(id), true, id);
  }
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
  assert.equal(sessionIdFromPath('/s/my%20game'), 'my game');
  assert.equal(sessionIdFromPath('/s/%E0%A4%A'), '%E0%A4%A');
  for (const path of ['/', '/s/', '/s', '/s/a/b', '/index.html', '/x/s/abc']) {
    assert.equal(sessionIdFromPath(path), null, path);
  }
});
