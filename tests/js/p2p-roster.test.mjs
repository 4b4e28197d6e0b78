// The roster and the host election are pure functions of the presence set, so every peer agrees.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { electHost, rosterFromPresence } from '../../site/p2p.roster.js';

const member = (clientId, timestamp, friendlyName = clientId, connectionId = `conn-${clientId}`) => ({
  clientId,
  timestamp,
  connectionId,
  data: { friendlyName },
});

test('the host is the earliest joiner', () => {
  assert.equal(electHost([member('kim', 300), member('ada', 100), member('bob', 200)]), 'ada');
});

test('equal join timestamps are broken by the smaller clientId, whatever order the members come in', () => {
  const tied = [member('zed', 100), member('amy', 100), member('max', 100)];
  assert.equal(electHost(tied), 'amy');
  assert.equal(electHost(tied.slice().reverse()), 'amy');
  assert.deepEqual(
    rosterFromPresence(tied).map((player) => player.clientId),
    ['amy', 'max', 'zed'],
  );
});

test('every ordering of the same presence set elects the same host and lists the same roster', () => {
  const members = [member('c', 3), member('a', 2), member('b', 2), member('d', 1)];
  const expected = rosterFromPresence(members);
  for (const shuffled of [members.slice().reverse(), [members[2], members[0], members[3], members[1]]]) {
    assert.deepEqual(rosterFromPresence(shuffled), expected);
    assert.equal(electHost(shuffled), 'd');
  }
});

test('nobody present elects nobody', () => {
  assert.equal(electHost([]), null);
  assert.deepEqual(rosterFromPresence([]), []);
});

test('the roster lists players in join order with their names and join times', () => {
  assert.deepEqual(rosterFromPresence([member('b', 20, 'Bob'), member('a', 10, 'Ada')]), [
    { clientId: 'a', friendlyName: 'Ada', joinedAt: 10 },
    { clientId: 'b', friendlyName: 'Bob', joinedAt: 20 },
  ]);
});

test('a clientId present on two connections is one player, counted from its earliest entry', () => {
  const roster = rosterFromPresence([
    member('a', 50, 'Ada', 'conn-2'),
    member('b', 20, 'Bob'),
    member('a', 10, 'Ada', 'conn-1'),
  ]);
  assert.deepEqual(
    roster.map((player) => `${player.clientId}@${player.joinedAt}`),
    ['a@10', 'b@20'],
  );
});

test('names from presence are sanitised, and a missing or empty one shows as Anonymous', () => {
  const roster = rosterFromPresence([
    member('a', 1, `  ${'y'.repeat(80)}\u202E `),
    { clientId: 'b', timestamp: 2, data: null },
    member('c', 3, ''),
    { clientId: 'd', timestamp: 4, data: 'just a string' },
  ]);
  assert.deepEqual(
    roster.map((player) => player.friendlyName),
    ['y'.repeat(32), 'Anonymous', 'Anonymous', 'Anonymous'],
  );
});

test('members without a clientId or a timestamp are not players and cannot be elected', () => {
  const members = [
    { timestamp: 1, data: {} },
    { clientId: 'x', data: {} },
    { clientId: '', timestamp: 1 },
    member('ok', 5),
  ];
  assert.deepEqual(
    rosterFromPresence(members).map((player) => player.clientId),
    ['ok'],
  );
  assert.equal(electHost(members), 'ok');
});
