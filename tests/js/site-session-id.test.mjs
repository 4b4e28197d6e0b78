// site/session-id.js beyond the shared rule (tests/protocol/vectors/sessions.json, run by protocol-vectors.test.mjs):
// what the form says about a typed id, how random generated ids are, and what an invite link names.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  GENERATED_ID_ALPHABET,
  randomSessionId,
  sessionIdFromPath,
  sessionIdProblem,
  sessionPath,
} from '../../site/session-id.js';

test('a typed id the rule refuses gets a sentence saying why', () => {
  assert.match(sessionIdProblem(''), /Enter the session name/);
  assert.match(sessionIdProblem('x'.repeat(65)), /at most 64 characters \(this one has 65\)/);
  for (const id of ['my game', 'a/b', 'p2p:x', 'ünï', 'a*', '../x']) {
    assert.match(sessionIdProblem(id), /only letters, digits, '-' and '_'/, id);
  }
});

test('random ids are different each time and use every symbol of the alphabet', () => {
  const ids = new Set(Array.from({ length: 200 }, () => randomSessionId()));
  assert.equal(ids.size, 200);
  const seen = new Set(Array.from({ length: 500 }, () => randomSessionId().replaceAll('-', '')).join(''));
  assert.deepEqual([...seen].sort().join(''), [...GENERATED_ID_ALPHABET].sort().join(''));
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
