// Authenticated roles on the in-memory fake: only the elected host's clientId (stamped by Ably) can change what
// peers show, and a message sent to one peer's inbox cannot be read by another.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { appCapability } from './support/p2p-peers.mjs';
import { fakeSession, SESSION } from './support/p2p-fake-session.mjs';

/** Everything a page shows, to compare before and after an attack. */
const shown = (peer) => JSON.parse(JSON.stringify(peer.state));

function steppingClock() {
  let now = 1_000_000;
  return () => {
    now += 1;
    return now;
  };
}

/** A host, a guest who has the phrase, and a forger: its own Ably client with a valid token for the session. */
async function attackedSession() {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  await hana.streamWords();
  await network.settle();
  const forger = network.createRealtime({ clientId: 'mallory', capability: appCapability(SESSION, 'mallory') });
  return { network, hana, jo, forger };
}

test('host messages forged on the session channel and into inboxes change nothing on any page', async () => {
  const { network, hana, jo, forger } = await attackedSession();
  const before = [shown(hana), shown(jo)];

  const session = forger.channels.get(`p2p:${SESSION}`);
  await session.publish('word', { index: 9, word: 'FORGED' });
  await session.publish('word', { index: 0, word: 'FORGED', from: 'Hana-id', metadata: { clientId: 'Hana-id' } });
  await session.publish('connection-acknowledged', { words: ['FORGED'] });
  for (const target of ['Hana-id', 'Jo-id']) {
    const inbox = forger.channels.get(`p2p:${SESSION}:inbox:${target}`);
    await inbox.publish('connection-acknowledged', { words: ['FORGED', 'snapshot'] });
    await inbox.publish('word', { index: 9, word: 'FORGED' });
  }
  await network.settle();

  assert.deepEqual([shown(hana), shown(jo)], before);
  assert.equal(jo.state.receivedWords, PHRASE);
});

test("a forger attaching another peer's inbox receives nothing sent there, and asking to subscribe fails with 40160", async () => {
  const { network, hana, forger } = await attackedSession();
  const stolen = [];
  const theirs = forger.channels.get(`p2p:${SESSION}:inbox:Jo-id`);
  await theirs.subscribe((message) => stolen.push(message));

  await hana.ably.sendMessage({ kind: 'secret', text: 'for Jo only' }, 'Jo-id');
  await network.settle();

  assert.deepEqual(theirs.modes, ['publish']);
  assert.deepEqual(stolen, []);
  const strict = network.createRealtime({ clientId: 'mallory', capability: appCapability(SESSION, 'mallory') });
  await assert.rejects(
    strict.channels.get(`p2p:${SESSION}:inbox:Jo-id`, { modes: ['SUBSCRIBE'] }).attach(),
    (error) => error.code === 40160,
  );
  await strict.channels.get(`p2p:${SESSION}:inbox:mallory`, { modes: ['SUBSCRIBE'] }).attach();
});

test('a snapshot sent to one peer is read by that peer alone', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  await hana.streamWords();
  await network.settle();
  const eavesdropped = [];
  const eavesdropper = network.createRealtime({ clientId: 'eve', capability: appCapability(SESSION, 'eve') });
  await eavesdropper.channels.get(`p2p:${SESSION}`).subscribe((message) => eavesdropped.push(message.name));

  await join('Jo');

  assert.ok(
    network.history(`p2p:${SESSION}:inbox:Jo-id`).some((message) => message.name === 'connection-acknowledged'),
  );
  assert.ok(
    !eavesdropped.includes('connection-acknowledged') && !eavesdropped.includes('connected'),
    eavesdropped.join(),
  );
});

test('a guest that runs its own word stream is ignored: only the elected host is heard', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');

  await jo.ably.sendMessage({ kind: 'word', index: 0, word: 'Usurper' });
  await network.settle();

  for (const peer of [hana, jo]) assert.deepEqual(peer.state.words, []);
});

test('the previous host is not heard once another peer is elected', async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');
  // Hana's transport dies; after the presence timeout Jo hosts. A late word from Hana must not count.
  hana.realtime.loseTransport();
  network.expirePresence();
  await network.settle();
  const stale = network.createRealtime({ clientId: 'Hana-id', capability: appCapability(SESSION, 'Hana-id') });

  await stale.channels.get(`p2p:${SESSION}`).publish('word', { index: 0, word: 'Stale' });
  await network.settle();

  for (const peer of [jo, kim]) assert.deepEqual(peer.state.words, []);
});

test("a presence member cannot claim another clientId: Ably stamps the token's", async () => {
  const { network, join } = fakeSession({ now: steppingClock() });
  const hana = await join('Hana');
  const forger = network.createRealtime({ clientId: 'mallory', capability: appCapability(SESSION, 'mallory') });

  await forger.channels.get(`p2p:${SESSION}`).presence.enter({ friendlyName: 'Hana', clientId: 'Hana-id' });
  await network.settle();

  assert.deepEqual(
    hana.state.players.map((player) => `${player.clientId}:${player.friendlyName}`),
    ['Hana-id:Hana', 'mallory:Hana'],
  );
  assert.equal(hana.state.hostClientId, 'Hana-id');
});
