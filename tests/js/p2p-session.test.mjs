// P2PSession with the real ably-js on the emulator: presence roster, host election and migration, the word stream,
// joining mid-stream, and what a peer does when Ably refuses what it sends. (Lost networks and long disconnects:
// p2p-recovery.test.mjs; a host's blip: p2p-host-blip.test.mjs; two peers starting at once: p2p-emulator.test.mjs.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE, WORD_INTERVAL_MS } from '../../site/p2p.lib.server.js';
import { P2PSession } from '../../site/p2p.session.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { appCapability } from './support/p2p-peers.mjs';
import { waitFor } from './support/waiting.mjs';

const WORDS = PHRASE.split(' ');

/** What a page shows of a peer: roster (with the host marked) and status. */
const view = (peer) => ({
  players: peer.state.players.map((player) => `${player.friendlyName}${player.isHost ? '*' : ''}`),
  status: peer.state.status,
});

/** Wait until every one of `peers` shows `expected` (a view). */
async function everyoneShows(peers, expected) {
  for (const peer of peers) {
    await waitFor(() => JSON.stringify(view(peer)) === JSON.stringify(expected), {
      what: `${peer.state.friendlyName} to show ${JSON.stringify(expected)} (shows ${JSON.stringify(view(peer))})`,
    });
  }
}

/** Wait until every one of `peers` shows `words` received. */
async function everyoneHas(peers, words) {
  for (const peer of peers) {
    await waitFor(() => peer.state.receivedWords === words, {
      what: `${peer.state.friendlyName} to show "${words}" (shows "${peer.state.receivedWords}")`,
    });
  }
}

/** The app's capability for `clientId`, without publishing to other players' inboxes (but to `allowedInboxes`). */
function withoutInboxes(session, clientId, allowedInboxes = []) {
  const capability = appCapability(session.id, clientId);
  delete capability[session.inbox('*')];
  for (const target of allowedInboxes) capability[session.inbox(target)] = ['publish'];
  return capability;
}

describe('P2PSession on the emulator', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  test('every peer shows the same roster in join order, with the earliest joiner as host, and is acknowledged', async (t) => {
    const { join } = sessionOn(emulator, t);
    const hana = await join('Hana');
    const jo = await join('Jo');
    const kim = await join('Kim');

    await everyoneShows([hana, jo, kim], { players: ['Hana*', 'Jo', 'Kim'], status: 'acknowledged' });
    for (const peer of [hana, jo, kim]) {
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

  test('a peer joining an empty session becomes its host and holds the state without asking itself', async (t) => {
    const session = sessionOn(emulator, t);
    const solo = await session.join('Solo');

    assert.deepEqual(view(solo), { players: ['Solo*'], status: 'acknowledged' });
    assert.equal(solo.state.isHost, true);
    assert.deepEqual(solo.hostChanges, [{ hostClientId: 'Solo-id', previousHostClientId: null, isHost: true }]);
    assert.deepEqual(await session.history(session.inbox('Solo-id')), []);
  });

  test('a peer that closes its tab leaves every roster at once', async (t) => {
    const { join } = sessionOn(emulator, t);
    const hana = await join('Hana');
    const jo = await join('Jo');
    const kim = await join('Kim');

    jo.close();

    // At once: the presence leave, well before Ably's 15 s timeout for a connection that just vanishes.
    await everyoneShows([hana, kim], { players: ['Hana*', 'Kim'], status: 'acknowledged' });
  });

  test('a reload leaves no ghost: the old clientId leaves and the new one joins', async (t) => {
    const { join } = sessionOn(emulator, t);
    const hana = await join('Hana');
    const jo = await join('Jo');

    jo.close();
    const reloaded = await join('Jo', { clientId: 'Jo-after-reload' });

    await everyoneShows([hana, reloaded], { players: ['Hana*', 'Jo'], status: 'acknowledged' });
    assert.deepEqual(
      hana.state.players.map((player) => player.clientId),
      ['Hana-id', 'Jo-after-reload'],
    );
  });

  test('when the host leaves, the next earliest joiner hosts, keeps the words and carries on streaming', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const jo = await session.join('Jo');
    const kim = await session.join('Kim');
    await hana.streamWords();
    await everyoneHas([jo, kim], PHRASE);

    hana.close();

    await everyoneShows([jo, kim], { players: ['Jo*', 'Kim'], status: 'acknowledged' });
    assert.deepEqual(
      [jo, kim].map((peer) => peer.state.isHost),
      [true, false],
    );
    assert.deepEqual(kim.hostChanges.at(-1), { hostClientId: 'Jo-id', previousHostClientId: 'Hana-id', isHost: false });
    assert.deepEqual(jo.hostChanges.at(-1), { hostClientId: 'Jo-id', previousHostClientId: 'Hana-id', isHost: true });

    await jo.streamWords();
    await everyoneHas([jo, kim], `${PHRASE} ${PHRASE}`);
    const indexes = (await session.history(session.channel))
      .filter((message) => message.name === 'word')
      .map((message) => message.data.index);
    assert.deepEqual(indexes, [...Array(WORDS.length * 2).keys()]);
    for (const peer of [jo, kim]) assert.deepEqual(peer.errors, []);
  });

  test('a peer joining during the stream shows the whole phrase once, in order', async (t) => {
    const { join, peer } = sessionOn(emulator, t);
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

    await everyoneHas([late], PHRASE);
    assert.deepEqual(late.state.words, WORDS);
  });

  test('the word stream pauses 500 ms between words unless told otherwise, and a second call joins the running stream', async (t) => {
    const { join } = sessionOn(emulator, t);
    const pauses = [];
    const hana = await join('Hana', { wordIntervalMs: WORD_INTERVAL_MS, sleep: async (ms) => pauses.push(ms) });

    await Promise.all([hana.streamWords(), hana.streamWords()]);

    assert.deepEqual(pauses, Array(WORDS.length - 1).fill(WORD_INTERVAL_MS));
    await everyoneHas([hana], PHRASE);
  });

  test('the state shows streaming while the host streams', async (t) => {
    const { join } = sessionOn(emulator, t);
    const seen = [];
    let hana;
    hana = await join('Hana', { sleep: async () => seen.push(hana.state.streaming) });

    await hana.streamWords();

    assert.ok(seen.length > 0 && seen.every(Boolean));
    assert.equal(hana.state.streaming, false);
  });

  test('only the host can stream', async (t) => {
    const { join } = sessionOn(emulator, t);
    await join('Hana');
    const jo = await join('Jo');

    await assert.rejects(jo.streamWords(), /Only the host can stream words/);
  });

  test('a peer that Ably does not let announce itself to the host rejects start and goes back to disconnected', async (t) => {
    const session = sessionOn(emulator, t);
    await session.join('Hana');
    const jo = session.peer('Jo', { capability: withoutInboxes(session, 'Jo-id') });

    await assert.rejects(jo.start(), (error) => error.code === 40160);
    assert.equal(jo.state.status, 'disconnected');
  });

  test('a peer whose request to a new host is refused reports it, and asks again at the next roster change', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const jo = await session.join('Jo');
    // Kim's token lets it write to Hana's inbox only, so its request to the next host is refused.
    const kim = await session.join('Kim', { capability: withoutInboxes(session, 'Kim-id', ['Hana-id']) });

    hana.close();
    await waitFor(() => kim.errors.length > 0, { what: "Kim's request to Jo to be refused" });
    assert.equal(kim.errors.length, 1);
    assert.match(kim.errors[0].summary, /Could not announce this peer to the new host/);
    assert.equal(kim.errors[0].error.code, 40160);
    assert.equal(kim.state.status, 'awaiting-acknowledgement');

    await kim.realtime.auth.authorize(
      null,
      emulator.authOptions('authUrl', { clientId: 'Kim-id', capability: appCapability(session.id, 'Kim-id') }),
    );
    await session.join('Lee');

    await everyoneShows([kim], { players: ['Jo*', 'Kim', 'Lee'], status: 'acknowledged' });
    assert.deepEqual(jo.errors, []);
  });

  test('a host whose snapshot Ably refuses reports it as an error event, and the joiner keeps waiting', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana', { capability: withoutInboxes(session, 'Hana-id') });

    const jo = await session.peer('Jo').start();

    await waitFor(() => hana.errors.length > 0, { what: "Hana's snapshot to be refused" });
    assert.equal(hana.errors.length, 1);
    assert.equal(hana.errors[0].error.code, 40160);
    assert.match(hana.errors[0].summary, /Could not handle a "connected" message/);
    await everyoneShows([jo], { players: ['Hana*', 'Jo'], status: 'awaiting-acknowledgement' });
  });

  test('every change of the state goes through the reactive() the page passes in', async (t) => {
    const session = sessionOn(emulator, t);
    const written = new Set();
    const reactive = (target) =>
      new Proxy(target, {
        set(object, key, value) {
          written.add(key);
          return Reflect.set(object, key, value);
        },
      });
    const ada = new P2PSession({
      sessionId: session.id,
      friendlyName: 'Ada',
      createRealtime: () => session.client('Ada-id'),
      reactive,
      wordIntervalMs: 0,
    });
    t.after(() => ada.close());

    await ada.start();
    await waitFor(() => ada.state.isHost, { what: 'Ada to host' });
    await ada.streamWords();
    await everyoneHas([ada], PHRASE);

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
});

test('listening to an unknown event is an error, so a typo does not fail silently', () => {
  const session = new P2PSession({ sessionId: 'room1', createRealtime: () => null });
  assert.throws(() => session.on('host-change', () => {}), /Unknown P2PSession event "host-change"/);
});
