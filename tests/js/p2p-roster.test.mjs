// The roster and the host election are pure functions of the presence set, so every peer agrees.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { electHost, Roster, rosterFromPresence } from '../../site/p2p.roster.js';

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

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('the roster kept one event at a time agrees with the roster of the whole set after every event', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const next = random(seed);
    const roster = new Roster();
    const players = [];
    const present = new Map();
    for (let step = 0; step < 400; step += 1) {
      const clientId = `c${Math.floor(next() * 12)}`;
      const connectionId = `conn${Math.floor(next() * 3)}`;
      const key = `${clientId}:${connectionId}`;
      const leaving = present.has(key) && next() < 0.5;
      const event = leaving
        ? { action: next() < 0.5 ? 'leave' : 'absent', clientId, connectionId, timestamp: step }
        : { ...member(clientId, Math.floor(next() * 50), `N${step % 3}`, connectionId), action: 'enter' };
      if (leaving) present.delete(key);
      else present.set(key, event);

      const change = roster.apply(event);
      if (change?.removed >= 0) players.splice(change.removed, 1);
      if (change?.inserted >= 0) players.splice(change.inserted, 0, change.player);

      const expected = rosterFromPresence([...present.values()]);
      assert.deepEqual(roster.players(), expected, `seed ${seed}, step ${step}`);
      assert.deepEqual(players, expected, `seed ${seed}, step ${step}: the spliced list`);
      assert.equal(roster.host(), electHost([...present.values()]));
    }
  }
});

test('an event that changes nothing shown (a repeated enter, a leave of someone absent) moves nobody', () => {
  const roster = new Roster();
  roster.replace([member('ada', 100)]);
  assert.equal(roster.apply({ ...member('ada', 100), action: 'present' }), null);
  assert.equal(roster.apply({ action: 'leave', clientId: 'bob', connectionId: 'conn-bob' }), null);
  assert.equal(roster.apply({ action: 'enter', clientId: '', timestamp: 1 }), null);
  assert.equal(roster.apply({ action: 'shout', clientId: 'ada', connectionId: 'conn-ada', timestamp: 1 }), null);
  assert.deepEqual(
    roster.players().map((player) => player.clientId),
    ['ada'],
  );
});
