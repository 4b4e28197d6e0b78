// P2PSession on the in-memory fake: presence roster, host election and migration, snapshots, recovery.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PHRASE, WORD_INTERVAL_MS } from '../../site/p2p.lib.server.js';
import { P2PSession } from '../../site/p2p.session.js';
import { inboxChannelFor } from '../../site/session-id.js';
import { FakeErrorInfo } from './support/fake-ably.mjs';
import { fakeSession, SESSION } from './support/p2p-fake-session.mjs';

const WORDS = PHRASE.split(' ');

/** What a page shows of a peer: roster (with the host marked) and status. */
const view = (peer) => ({
  players: peer.state.players.map((player) => `${player.friendlyName}${player.isHost ? '*' : ''}`),
  status: peer.state.status,
});

/** A clock the test moves, so join timestamps are distinct and known. */
function steppingClock() {
  let now = 1_000_000;
  return () => {
    now += 1;
    return now;
  };
}

test('every peer shows the same roster in join order, with the earliest joiner as host, and is acknowledged', async () => {
  const { join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');

  for (const peer of [hana, jo, kim]) {
    assert.deepEqual(view(peer), { players: ['Hana*', 'Jo', 'Kim'], status: 'acknowledged' });
    assert.equal(peer.state.hostClientId, 'Hana-id');
    assert.deepEqual(peer.errors, []);
  }
  assert.deepEqual(
    [hana, jo, kim].map((peer) => peer.state.isHost),
    [true, false, false],
  );
  assert.deepEqual(
    kim.state.players.map((player) => player.isMe),
    [false, false, true],
  );
  assert.equal(kim.state.myClientId, 'Kim-id');
});

test('a peer joining an empty session becomes its host and holds the state without asking itself', async () => {
  const { network, join } = fakeSession();
  const solo = await join('Solo');

  assert.deepEqual(view(solo), { players: ['Solo*'], status: 'acknowledged' });
  assert.equal(solo.state.isHost, true);
  assert.deepEqual(solo.hostChanges, [{ hostClientId: 'Solo-id', previousHostClientId: null, isHost: true }]);
  assert.deepEqual(network.history(inboxChannelFor(SESSION, 'Solo-id')), []);
});

test('two peers pressing Host at the same moment end with one host that both agree on', async () => {
  const { network, peer } = fakeSession({ now: () => 5_000 });
  const [zed, amy] = [peer('Zed'), peer('Amy')];

  await Promise.all([zed.start(), amy.start()]);
  await network.settle();

  // Same join timestamp: the smaller clientId wins, on both pages.
  assert.deepEqual(
    [zed, amy].map((each) => each.state.isHost),
    [false, true],
  );
  for (const each of [zed, amy]) assert.deepEqual(view(each), { players: ['Amy*', 'Zed'], status: 'acknowledged' });
});

test('a peer that closes its tab leaves every roster at once', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');

  jo.close();
  await network.settle();

  for (const peer of [hana, kim]) assert.deepEqual(view(peer).players, ['Hana*', 'Kim']);
});

test('a peer whose network dies stays listed until the presence timeout, then leaves every roster', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');

  jo.realtime.loseTransport();
  await network.settle();
  for (const peer of [hana, kim]) assert.deepEqual(view(peer).players, ['Hana*', 'Jo', 'Kim']);

  network.expirePresence();
  await network.settle();
  for (const peer of [hana, kim]) assert.deepEqual(view(peer).players, ['Hana*', 'Kim']);
});

test('a reload leaves no ghost: the old clientId leaves and the new one joins', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');

  jo.close();
  const reloaded = await join('Jo', { clientId: 'Jo-after-reload' });
  await network.settle();

  for (const peer of [hana, reloaded])
    assert.deepEqual(view(peer), { players: ['Hana*', 'Jo'], status: 'acknowledged' });
  assert.deepEqual(
    hana.state.players.map((player) => player.clientId),
    ['Hana-id', 'Jo-after-reload'],
  );
});

test('when the host leaves, the next earliest joiner hosts, keeps the words and carries on streaming', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');
  await hana.streamWords();
  await network.settle();

  hana.close();
  await network.settle();

  assert.deepEqual(
    [jo, kim].map((peer) => peer.state.isHost),
    [true, false],
  );
  for (const peer of [jo, kim]) assert.deepEqual(view(peer), { players: ['Jo*', 'Kim'], status: 'acknowledged' });
  assert.deepEqual(kim.hostChanges.at(-1), { hostClientId: 'Jo-id', previousHostClientId: 'Hana-id', isHost: false });
  assert.deepEqual(jo.hostChanges.at(-1), { hostClientId: 'Jo-id', previousHostClientId: 'Hana-id', isHost: true });

  await jo.streamWords();
  await network.settle();
  for (const peer of [jo, kim]) assert.equal(peer.state.receivedWords, `${PHRASE} ${PHRASE}`);
  const indexes = network
    .history(`p2p:${SESSION}`)
    .filter((message) => message.name === 'word')
    .map((message) => message.data.index);
  assert.deepEqual(indexes, [...Array(WORDS.length * 2).keys()]);
  for (const peer of [jo, kim]) assert.deepEqual(peer.errors, []);
});

test('when the host crashes mid-stream, the new host finishes the phrase and every peer shows it once', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  let hostWords = 0;
  let crashed;
  const crash = new Promise((resolve) => {
    crashed = resolve;
  });
  // The host's stream stops for good after its fourth word, as a crashed tab would.
  const hana = await join('Hana', {
    sleep: async () => {
      hostWords += 1;
      if (hostWords === 4) {
        crashed();
        await new Promise(() => {});
      }
    },
  });
  const jo = await join('Jo');
  const kim = await join('Kim');

  hana.streamWords();
  await crash;
  await network.settle();
  hana.realtime.loseTransport();
  network.expirePresence();
  await network.settle();

  assert.equal(jo.state.isHost, true);
  assert.equal(jo.state.streaming, false);
  for (const peer of [jo, kim]) {
    assert.equal(peer.state.receivedWords, PHRASE);
    assert.deepEqual(view(peer), { players: ['Jo*', 'Kim'], status: 'acknowledged' });
  }
});

test('a host that comes back after its presence expired rejoins as a guest and stops hosting', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');

  hana.realtime.loseTransport();
  network.expirePresence();
  await network.settle();
  hana.realtime.reconnectAfterResumeFailed();
  await network.settle();

  assert.deepEqual(
    [hana, jo].map((peer) => peer.state.isHost),
    [false, true],
  );
  for (const peer of [hana, jo]) assert.deepEqual(view(peer), { players: ['Jo*', 'Hana'], status: 'acknowledged' });
  assert.deepEqual(hana.hostChanges.at(-1), { hostClientId: 'Jo-id', previousHostClientId: 'Hana-id', isHost: false });
  await assert.rejects(hana.streamWords(), /Only the host can stream words/);
});

test("a late joiner gets the words from the host's snapshot even when they are older than the rewind window", async () => {
  let now = 1_000_000;
  const { network, join } = fakeSession({ now: () => now });
  const hana = await join('Hana');
  await hana.streamWords();
  await network.settle();

  now += 61_000;
  const late = await join('Late');

  assert.deepEqual(view(late), { players: ['Hana*', 'Late'], status: 'acknowledged' });
  assert.equal(late.state.receivedWords, PHRASE);
  const snapshot = network
    .history(`p2p:${SESSION}:inbox:Late-id`)
    .find((message) => message.name === 'connection-acknowledged');
  assert.deepEqual(snapshot.data, { base: 0, words: WORDS });
});

test('a late joiner that gets the words by rewind and by snapshot shows each word once', async () => {
  const { network, join } = fakeSession();
  const hana = await join('Hana');
  await hana.streamWords();
  await network.settle();

  const late = await join('Late');

  assert.equal(late.state.receivedWords, PHRASE);
  assert.deepEqual(late.state.words, WORDS);
});

test('a peer joining during the stream shows the whole phrase once, in order', async () => {
  const { network, join, peer } = fakeSession();
  let pauses = 0;
  let joinNow;
  const joinTime = new Promise((resolve) => {
    joinNow = resolve;
  });
  let resumeStream;
  const hana = await join('Hana', {
    sleep: async () => {
      pauses += 1;
      if (pauses === 3) {
        joinNow();
        await new Promise((resolve) => {
          resumeStream = resolve;
        });
      }
    },
  });

  const streaming = hana.streamWords();
  await joinTime;
  const late = peer('Late');
  const joining = late.start();
  resumeStream();
  await Promise.all([streaming, joining]);
  await network.settle();

  assert.deepEqual(late.state.words, WORDS);
});

test('a guest disconnected past the connection TTL asks again and shows the whole phrase once', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  let pauses = 0;
  hana.server.sleep = async () => {
    pauses += 1;
    if (pauses === 3) jo.realtime.loseTransport();
  };

  await hana.streamWords();
  await network.settle();
  assert.ok(jo.state.words.length < WORDS.length, 'Jo missed the words sent while it was away');

  jo.realtime.reconnectAfterResumeFailed();
  await network.settle();

  assert.equal(jo.state.receivedWords, PHRASE);
  assert.equal(jo.state.status, 'acknowledged');
  assert.equal(jo.resyncs.length, 1);
  assert.equal(jo.resyncs[0].reason.code, 80008);
  assert.deepEqual(view(hana).players, ['Hana*', 'Jo']);
});

test('the word stream pauses 500 ms between words unless told otherwise, and a second call joins the running stream', async () => {
  const { network, join } = fakeSession();
  const pauses = [];
  const hana = await join('Hana', { wordIntervalMs: WORD_INTERVAL_MS, sleep: async (ms) => pauses.push(ms) });

  await Promise.all([hana.streamWords(), hana.streamWords()]);
  await network.settle();

  assert.deepEqual(pauses, Array(WORDS.length - 1).fill(WORD_INTERVAL_MS));
  assert.equal(hana.state.receivedWords, PHRASE);
});

test('the state shows streaming while the host streams', async () => {
  const { join } = fakeSession();
  const seen = [];
  let hana;
  hana = await join('Hana', { sleep: async () => seen.push(hana.state.streaming) });

  await hana.streamWords();

  assert.ok(seen.length > 0 && seen.every(Boolean));
  assert.equal(hana.state.streaming, false);
});

test('only the host can stream', async () => {
  const { join } = fakeSession({ now: steppingClock() });
  await join('Hana');
  const jo = await join('Jo');

  await assert.rejects(jo.streamWords(), /Only the host can stream words/);
});

test('a peer that cannot announce itself to the host rejects start and goes back to disconnected', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  await join('Hana');
  const session = new P2PSession({
    sessionId: SESSION,
    friendlyName: 'Jo',
    createRealtime: () => {
      const realtime = network.createRealtime();
      realtime.rejectPublishes(new FakeErrorInfo('Unable to perform channel operation', 40160, 401));
      return realtime;
    },
  });

  await assert.rejects(session.start(), /Unable to perform channel operation/);
  assert.equal(session.state.status, 'disconnected');
});

test('a peer whose request to a new host fails reports it, and asks again at the next roster change', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');
  kim.realtime.rejectPublishes(new FakeErrorInfo('Rate limit exceeded', 42910, 429));

  hana.close();
  await network.settle();
  assert.equal(kim.errors.length, 1);
  assert.match(kim.errors[0].summary, /Could not announce this peer to the new host/);
  assert.equal(kim.state.status, 'awaiting-acknowledgement');

  kim.realtime.rejectPublishes(null);
  await join('Lee');

  assert.deepEqual(view(kim), { players: ['Jo*', 'Kim', 'Lee'], status: 'acknowledged' });
  assert.deepEqual(jo.errors, []);
});

test('a host whose snapshot cannot be published reports it as an error event, and the joiner keeps waiting', async () => {
  const { join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  hana.realtime.rejectPublishes(new FakeErrorInfo('Rate limit exceeded', 42910, 429));

  const jo = await join('Jo');

  assert.equal(hana.errors.length, 1);
  assert.equal(hana.errors[0].error.code, 42910);
  assert.match(hana.errors[0].summary, /Could not handle a "connected" message/);
  assert.equal(jo.state.status, 'awaiting-acknowledgement');
  assert.deepEqual(view(jo).players, ['Hana*', 'Jo']);
});

test('every change of the state goes through the reactive() the page passes in', async () => {
  const { network } = fakeSession();
  const written = new Set();
  const reactive = (target) =>
    new Proxy(target, {
      set(object, key, value) {
        written.add(key);
        return Reflect.set(object, key, value);
      },
    });
  const session = new P2PSession({
    sessionId: SESSION,
    friendlyName: 'Ada',
    createRealtime: () => network.createRealtime(),
    reactive,
    wordIntervalMs: 0,
  });

  await session.start();
  await network.settle();
  await session.streamWords();
  await network.settle();

  for (const key of [
    'status',
    'players',
    'hostClientId',
    'myClientId',
    'isHost',
    'words',
    'receivedWords',
    'streaming',
  ]) {
    assert.ok(written.has(key), `${key} was written through the proxy`);
  }
});

test('listening to an unknown event is an error, so a typo does not fail silently', () => {
  const session = new P2PSession({ sessionId: SESSION, createRealtime: () => null });
  assert.throws(() => session.on('host-change', () => {}), /Unknown P2PSession event "host-change"/);
});
