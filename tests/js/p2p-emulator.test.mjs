// The P2P classes with the real ably-js, against the emulator: the tutorial's session end to end, including a
// dropped connection during the word stream and a late joiner catching up by rewind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { createPeer } from './support/p2p-peers.mjs';
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

  /** A peer whose Ably client has its own clientId, as the app's token endpoint would issue. */
  function peer(t, sessionId, name, { hosting = false } = {}) {
    clients += 1;
    const created = createPeer(() => emulator.realtime({ clientId: `${name}-${process.pid}-${clients}` }, t), {
      sessionId,
      name,
      hosting,
      serverOptions: { wordIntervalMs: WORD_INTERVAL_MS },
    });
    t.after(() => created.close());
    return created;
  }

  async function everyoneSees(peers, names) {
    for (const each of peers) {
      await waitFor(() => each.p2pClient.state.status === 'acknowledged' && each.rosterNames().length === names.length, {
        what: `${each.p2pClient.identity.friendlyName} to be acknowledged and see ${names.join(', ')} (sees ${each.rosterNames().join(', ')})`,
      });
      assert.deepEqual(each.rosterNames(), names);
    }
  }

  test('a host and two joiners see all three names and are acknowledged', async (t) => {
    const session = uniqueName('roster');
    const host = await peer(t, session, 'Hana', { hosting: true }).start();
    const jo = await peer(t, session, 'Jo').start();
    const kim = await peer(t, session, 'Kim').start();

    await everyoneSees([host, jo, kim], ['Hana', 'Jo', 'Kim']);
    for (const each of [host, jo, kim]) assert.deepEqual(each.handlerErrors, []);
  });

  test('the host streams the phrase and every peer receives it whole and in order', async (t) => {
    const session = uniqueName('words');
    const host = await peer(t, session, 'Hana', { hosting: true }).start();
    const jo = await peer(t, session, 'Jo').start();
    await everyoneSees([host, jo], ['Hana', 'Jo']);

    await host.p2pServer.sendWordsAcrossMultipleMessages();

    for (const each of [host, jo]) {
      await waitFor(() => each.p2pClient.state.receivedWords.length >= PHRASE.length, { what: 'the whole phrase' });
      assert.equal(each.p2pClient.state.receivedWords, PHRASE);
    }
  });

  test('a joiner whose connection drops during the stream still gets every word exactly once, in order', async (t) => {
    const session = uniqueName('drop');
    const host = await peer(t, session, 'Hana', { hosting: true }).start();
    const jo = await peer(t, session, 'Jo').start();
    await everyoneSees([host, jo], ['Hana', 'Jo']);
    const connection = jo.pubSubClient.realtime.connection;
    const resumed = new Promise((resolve) => connection.once('disconnected', () => connection.once('connected', resolve)));

    const streaming = host.p2pServer.sendWordsAcrossMultipleMessages();
    await waitFor(() => jo.p2pClient.state.receivedWords.split(' ').length >= 3, { what: 'the first words' });
    await emulator.dropConnection(connection.id);
    await streaming;
    await within(resumed, { what: "Jo's connection to drop and resume" });

    await waitFor(() => jo.p2pClient.state.receivedWords.length >= PHRASE.length, { what: 'the whole phrase after resume' });
    assert.equal(jo.p2pClient.state.receivedWords, PHRASE);
  });

  test('a joiner arriving after the stream catches up on the words by rewind', async (t) => {
    const session = uniqueName('late');
    const host = await peer(t, session, 'Hana', { hosting: true }).start();
    await everyoneSees([host], ['Hana']);
    await host.p2pServer.sendWordsAcrossMultipleMessages();

    const late = await peer(t, session, 'Late').start();

    await everyoneSees([host, late], ['Hana', 'Late']);
    await waitFor(() => late.p2pClient.state.receivedWords.length >= PHRASE.length, { what: 'the rewound phrase' });
    assert.equal(late.p2pClient.state.receivedWords, PHRASE);
  });
});
