// Authenticated roles against forgers, on the emulator. A forging peer, its own ably-js client with a valid token for
// the session (the app's capability from api/token_policy.py), publishes every host message it can, on the session
// channel and into the other peers' inboxes, and tries to read their inboxes. Nothing it sends changes a page; it
// reads nothing: attaching someone else's inbox grants it only the publish mode, as Ably grants the modes the token
// allows. And only the elected host's clientId (stamped by Ably) changes what peers show, a snapshot sent to one
// peer's inbox is read by that peer alone, and presence names the token's clientId.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

describe('a forging peer on the emulator', () => {
  let clients = 0;

  function clientIdFor(name) {
    clients += 1;
    return `${name}-${process.pid}-${clients}`;
  }

  function peer(t, sessionId, name) {
    const clientId = clientIdFor(name);
    const created = createPeer(
      () => emulator.realtime({ clientId, capability: appCapability(sessionId, clientId) }, t),
      {
        sessionId,
        name,
        wordIntervalMs: 10,
      },
    );
    t.after(() => created.close());
    return created;
  }

  /** A host and a guest who both show the phrase, and the forger's own client with a valid token. */
  async function session(t) {
    const sessionId = uniqueName('forgery');
    const hana = await peer(t, sessionId, 'Hana').start();
    const jo = await peer(t, sessionId, 'Jo').start();
    await hana.streamWords();
    for (const each of [hana, jo]) {
      await waitFor(
        () =>
          each.state.status === 'acknowledged' &&
          each.state.receivedWords === PHRASE &&
          each.state.players.length === 2,
        {
          what: `${each.state.friendlyName} to show the phrase and both players`,
        },
      );
    }
    const forgerId = clientIdFor('Mallory');
    const forger = emulator.realtime({ clientId: forgerId, capability: appCapability(sessionId, forgerId) }, t);
    return { sessionId, hana, jo, forger, forgerId };
  }

  test('every host message it publishes, on the session channel and into inboxes, is ignored by every page', async (t) => {
    const { sessionId, hana, jo, forger } = await session(t);
    const before = [hana, jo].map((each) => JSON.stringify(each.state));
    const targets = [hana.state.myClientId, jo.state.myClientId];
    const forged = [
      ['word', { index: 9, word: 'FORGED' }],
      ['word', { index: 0, word: 'FORGED', from: hana.state.myClientId }],
      ['connection-acknowledged', { words: ['FORGED', 'snapshot'], metadata: { clientId: hana.state.myClientId } }],
    ];

    const sessionChannel = forger.channels.get(`p2p:${sessionId}`);
    for (const [name, data] of forged)
      await within(sessionChannel.publish(name, data), { what: `forged ${name} on the session channel` });
    for (const target of targets) {
      const inbox = forger.channels.get(`p2p:${sessionId}:inbox:${target}`);
      for (const [name, data] of forged)
        await within(inbox.publish(name, data), { what: `forged ${name} into an inbox` });
    }
    // Each publish above resolved once the emulator had accepted it and queued it to every receiver's connection,
    // so the genuine words streamed now reach each page after every forgery.
    await hana.streamWords();
    await waitFor(() => jo.state.words.length === 2 * PHRASE.split(' ').length, { what: 'the genuine second phrase' });

    assert.notDeepEqual(
      before,
      [hana, jo].map((each) => JSON.stringify(each.state)),
      'the genuine host was still heard',
    );
    for (const each of [hana, jo]) {
      assert.equal(each.state.receivedWords, `${PHRASE} ${PHRASE}`);
      assert.ok(!JSON.stringify(each.state).includes('FORGED'));
      assert.equal(each.state.hostClientId, hana.state.myClientId);
      assert.deepEqual(each.errors, []);
    }
  });

  test("attaching another peer's inbox gives it no subscribe mode: it receives nothing sent there", async (t) => {
    const { sessionId, hana, jo, forger } = await session(t);
    const joInbox = `p2p:${sessionId}:inbox:${jo.state.myClientId}`;
    const stolen = [];
    const theirs = forger.channels.get(joInbox);
    await within(
      theirs.subscribe((message) => stolen.push(message)),
      { what: "attaching Jo's inbox" },
    );
    assert.deepEqual(theirs.modes, ['publish']);
    const afterwards = [];
    await within(
      forger.channels.get(`p2p:${sessionId}`).subscribe('after', (message) => afterwards.push(message)),
      { what: 'attaching the session' },
    );
    const delivered = [];
    await within(
      jo.ably.inbox.subscribe('secret', (message) => delivered.push(message)),
      { what: "watching Jo's inbox" },
    );

    await hana.ably.sendMessage({ kind: 'secret', text: 'for Jo only' }, jo.state.myClientId);
    await hana.ably.sendMessage({ kind: 'after' });
    // The forger's connection gets messages in the order the emulator sent them: the secret would come first.
    await waitFor(() => afterwards.length === 1 && delivered.length === 1, {
      what: 'Jo to get the secret and the forger the next message',
    });

    assert.deepEqual(stolen, []);
  });

  test("asking for the subscribe mode on another peer's inbox fails with 40160; on its own it works", async (t) => {
    const { sessionId, jo, forgerId } = await session(t);
    const strict = emulator.realtime({ clientId: forgerId, capability: appCapability(sessionId, forgerId) }, t);

    const theirs = strict.channels.get(`p2p:${sessionId}:inbox:${jo.state.myClientId}`, { modes: ['SUBSCRIBE'] });
    await assert.rejects(
      within(theirs.attach(), { what: "attaching Jo's inbox to subscribe" }),
      (error) => error.code === 40160,
    );
    const own = strict.channels.get(`p2p:${sessionId}:inbox:${forgerId}`, { modes: ['SUBSCRIBE'] });
    await within(own.attach(), { what: 'attaching its own inbox to subscribe' });
    assert.deepEqual(own.modes, ['subscribe']);
  });

  test("it cannot read another peer's inbox through history either", async (t) => {
    const { sessionId, jo, forger } = await session(t);

    const theirs = forger.channels.get(`p2p:${sessionId}:inbox:${jo.state.myClientId}`);
    await assert.rejects(within(theirs.history(), { what: "Jo's inbox history" }), (error) => error.code === 40160);
  });
});

describe('roles on the emulator', () => {
  test('a snapshot sent to one peer is read by that peer alone', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    await hana.streamWords();
    const eavesdropped = [];
    const eavesdropper = session.client('eve');
    await within(
      eavesdropper.channels.get(session.channel).subscribe((message) => eavesdropped.push(message.name)),
      { what: 'the eavesdropper to attach' },
    );

    await session.join('Jo');
    await hana.ably.sendMessage({ kind: 'after' });
    await waitFor(() => eavesdropped.includes('after'), { what: 'the eavesdropper to get the next message' });

    const joInbox = await session.history(session.inbox('Jo-id'));
    assert.ok(joInbox.some((message) => message.name === 'connection-acknowledged'));
    assert.ok(
      !eavesdropped.includes('connection-acknowledged') && !eavesdropped.includes('connected'),
      eavesdropped.join(),
    );
  });

  test('a guest that runs its own word stream is ignored: only the elected host is heard', async (t) => {
    const { join, settled } = sessionOn(emulator, t);
    const hana = await join('Hana');
    const jo = await join('Jo');

    await jo.ably.sendMessage({ kind: 'word', index: 0, word: 'Usurper' });
    await settled([hana, jo]);

    for (const peer of [hana, jo]) assert.deepEqual(peer.state.words, []);
  });

  test('the previous host is not heard once another peer is elected', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const jo = await session.join('Jo');
    const kim = await session.join('Kim');
    hana.close();
    await waitFor(() => jo.state.isHost && kim.state.hostClientId === 'Jo-id', { what: 'Jo to host' });
    const stale = session.client('Hana-id');

    await within(stale.channels.get(session.channel).publish('word', { index: 0, word: 'Stale' }), {
      what: "the old host's word",
    });
    await session.settled([jo, kim]);

    for (const peer of [jo, kim]) assert.deepEqual(peer.state.words, []);
  });

  test("a presence member cannot claim another clientId: Ably stamps the token's", async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const forger = session.client('mallory');

    await within(forger.channels.get(session.channel).presence.enter({ friendlyName: 'Hana', clientId: 'Hana-id' }), {
      what: 'the forger to enter',
    });
    await waitFor(() => hana.state.players.length === 2, { what: 'Hana to list the forger' });

    assert.deepEqual(
      hana.state.players.map((player) => `${player.clientId}:${player.friendlyName}`),
      ['Hana-id:Hana', 'mallory:Hana'],
    );
    assert.equal(hana.state.hostClientId, 'Hana-id');
  });
});
