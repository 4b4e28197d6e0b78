// The P2P classes with the real ably-js against the emulator, each peer holding the token the app's endpoint
// would issue (api/token_policy.py's capability): roster from presence, the word stream with a dropped
// connection, a late joiner, host migration after the host closes its tab, and two peers starting at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

const WORD_INTERVAL_MS = 50;

describe('a P2P session on the emulator', () => {
  let emulator;
  let clients = 0;

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  /** A peer whose Ably client has its own clientId and the app's capability for `sessionId`. */
  function peer(t, sessionId, name) {
    clients += 1;
    const clientId = `${name}-${process.pid}-${clients}`;
    const created = createPeer(
      () => emulator.realtime({ clientId, capability: appCapability(sessionId, clientId) }, t),
      {
        sessionId,
        name,
        wordIntervalMs: WORD_INTERVAL_MS,
      },
    );
    t.after(() => created.close());
    return created;
  }

  async function everyoneSees(peers, names) {
    for (const each of peers) {
      await waitFor(() => each.state.status === 'acknowledged' && each.rosterNames().join() === names.join(), {
        what: `${each.state.friendlyName} to be acknowledged and see ${names.join(', ')} (sees ${each.rosterNames().join(', ')}, ${each.state.status})`,
      });
    }
  }

  test('three peers see the same roster from presence, the first one hosting', async (t) => {
    const session = uniqueName('roster');
    const hana = await peer(t, session, 'Hana').start();
    const jo = await peer(t, session, 'Jo').start();
    const kim = await peer(t, session, 'Kim').start();

    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim']);
    assert.deepEqual(
      [hana, jo, kim].map((each) => each.state.isHost),
      [true, false, false],
    );
    for (const each of [hana, jo, kim]) {
      assert.equal(each.state.hostClientId, hana.state.myClientId);
      assert.deepEqual(each.errors, []);
    }
  });

  test('the host streams the phrase and every peer receives it whole and in order', async (t) => {
    const session = uniqueName('words');
    const hana = await peer(t, session, 'Hana').start();
    const jo = await peer(t, session, 'Jo').start();
    await everyoneSees([hana, jo], ['Hana', 'Jo']);

    await hana.streamWords();

    for (const each of [hana, jo]) {
      await waitFor(() => each.state.receivedWords.length >= PHRASE.length, { what: 'the whole phrase' });
      assert.equal(each.state.receivedWords, PHRASE);
    }
  });

  test('a joiner whose connection drops during the stream still gets every word exactly once, in order', async (t) => {
    const session = uniqueName('drop');
    const hana = await peer(t, session, 'Hana').start();
    const jo = await peer(t, session, 'Jo').start();
    await everyoneSees([hana, jo], ['Hana', 'Jo']);
    const connection = jo.realtime.connection;
    const resumed = new Promise((resolve) =>
      connection.once('disconnected', () => connection.once('connected', resolve)),
    );

    const streaming = hana.streamWords();
    await waitFor(() => jo.state.words.length >= 3, { what: 'the first words' });
    await emulator.dropConnection(connection.id);
    await streaming;
    await within(resumed, { what: "Jo's connection to drop and resume" });

    await waitFor(() => jo.state.receivedWords.length >= PHRASE.length, { what: 'the whole phrase after resume' });
    assert.equal(jo.state.receivedWords, PHRASE);
    assert.deepEqual(jo.resyncs, [], 'a resumed connection needs no new snapshot');
  });

  test('a late joiner that gets the words by rewind and by snapshot shows each word once', async (t) => {
    const session = uniqueName('late');
    const hana = await peer(t, session, 'Hana').start();
    await everyoneSees([hana], ['Hana']);
    await hana.streamWords();

    const late = await peer(t, session, 'Late').start();

    await everyoneSees([hana, late], ['Hana', 'Late']);
    await waitFor(() => late.state.receivedWords.length >= PHRASE.length, { what: 'the phrase' });
    assert.deepEqual(late.state.words, PHRASE.split(' '));
  });

  test('when the host closes its tab, the next joiner hosts at once and carries on', async (t) => {
    const session = uniqueName('migrate-close');
    const hana = await peer(t, session, 'Hana').start();
    const jo = await peer(t, session, 'Jo').start();
    const kim = await peer(t, session, 'Kim').start();
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim']);
    await hana.streamWords();
    await waitFor(() => kim.state.words.length === PHRASE.split(' ').length, { what: 'Kim to have the phrase' });

    hana.close();

    await everyoneSees([jo, kim], ['Jo', 'Kim']);
    assert.deepEqual(
      [jo, kim].map((each) => each.state.isHost),
      [true, false],
    );
    assert.equal(kim.state.hostClientId, jo.state.myClientId);
    await jo.streamWords();
    await waitFor(() => kim.state.words.length === 2 * PHRASE.split(' ').length, {
      what: 'Kim to have the second phrase',
    });
    assert.equal(kim.state.receivedWords, `${PHRASE} ${PHRASE}`);
    for (const each of [jo, kim]) assert.deepEqual(each.errors, []);
  });

  test('two peers starting at the same moment end with one host that both agree on', async (t) => {
    const session = uniqueName('double-host');
    const [amy, zed] = [peer(t, session, 'Amy'), peer(t, session, 'Zed')];

    await Promise.all([amy.start(), zed.start()]);

    await waitFor(
      () =>
        amy.state.hostClientId &&
        amy.state.hostClientId === zed.state.hostClientId &&
        amy.state.players.length === 2 &&
        zed.state.players.length === 2,
      { what: 'both to agree on the host' },
    );
    assert.equal([amy, zed].filter((each) => each.state.isHost).length, 1);
    await waitFor(() => amy.state.status === 'acknowledged' && zed.state.status === 'acknowledged', {
      what: 'both acknowledged',
    });
  });
});
