import assert from 'node:assert/strict';
import { test } from 'node:test';

import { P2PClient } from '../../site/p2p.lib.client.js';
import { PHRASE, WORD_INTERVAL_MS } from '../../site/p2p.lib.server.js';
import { FakeAblyNetwork, FakeErrorInfo } from './support/fake-ably.mjs';
import { createPeer } from './support/p2p-peers.mjs';

const SESSION = 'room1';

/** A host and `names.length` joiners of one session on `network`, all started and settled. */
async function sessionOf(network, hostName, ...names) {
  const realtime = () => network.createRealtime();
  const host = await createPeer(realtime, { sessionId: SESSION, name: hostName, hosting: true, serverOptions: { wordIntervalMs: 0 } }).start();
  const joiners = [];
  for (const name of names) joiners.push(await createPeer(realtime, { sessionId: SESSION, name }).start());
  await network.settle();
  return { host, joiners, everyone: [host, ...joiners] };
}

test('a host and two joiners all see the same three names and are acknowledged', async () => {
  const network = new FakeAblyNetwork();
  const { everyone } = await sessionOf(network, 'Hana', 'Jo', 'Kim');

  for (const peer of everyone) {
    assert.deepEqual(peer.rosterNames(), ['Hana', 'Jo', 'Kim']);
    assert.equal(peer.p2pClient.state.status, 'acknowledged');
    assert.deepEqual(peer.handlerErrors, []);
  }
});

test('the roster identifies each player by the clientId the token endpoint issued', async () => {
  const network = new FakeAblyNetwork();
  const { host, joiners } = await sessionOf(network, 'Hana', 'Jo');

  assert.deepEqual(
    host.p2pServer.state.players.map((player) => player.clientId),
    [host.pubSubClient.metadata.clientId, joiners[0].pubSubClient.metadata.clientId],
  );
});

test('a client waits in awaiting-acknowledgement until the host answers it', async () => {
  const network = new FakeAblyNetwork();
  const early = createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Early' });
  assert.equal(early.p2pClient.state.status, 'disconnected');

  await early.start();
  await network.settle();
  assert.equal(early.p2pClient.state.status, 'awaiting-acknowledgement');

  // The host arrives later and finds the waiting client's "connected" by rewind.
  await createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Hana', hosting: true }).start();
  await network.settle();
  assert.equal(early.p2pClient.state.status, 'acknowledged');
  assert.deepEqual(early.rosterNames(), ['Early', 'Hana']);
});

test('a targeted acknowledgement is handled only by the peer it names', async () => {
  const network = new FakeAblyNetwork();
  const realtime = () => network.createRealtime();
  const ada = await createPeer(realtime, { sessionId: SESSION, name: 'Ada' }).start();
  const bob = await createPeer(realtime, { sessionId: SESSION, name: 'Bob' }).start();
  const sender = await createPeer(realtime, { sessionId: SESSION, name: 'Sender' }).start();
  await network.settle();

  await sender.pubSubClient.sendMessage(
    { kind: 'connection-acknowledged', serverState: { players: [{ clientId: 'x', friendlyName: 'Only for Bob' }] } },
    bob.pubSubClient.metadata.clientId,
  );
  await network.settle();

  assert.equal(bob.p2pClient.state.status, 'acknowledged');
  assert.deepEqual(bob.rosterNames(), ['Only for Bob']);
  assert.equal(ada.p2pClient.state.status, 'awaiting-acknowledgement');
  assert.equal(ada.p2pClient.serverState, null);
});

test('a repeated "connected" from the same client does not duplicate it in the roster', async () => {
  const network = new FakeAblyNetwork();
  const { host, joiners } = await sessionOf(network, 'Hana', 'Jo');

  await joiners[0].pubSubClient.sendMessage({ kind: 'connected' });
  await joiners[0].pubSubClient.sendMessage({ kind: 'connected' });
  await network.settle();

  assert.deepEqual(host.p2pServer.state.players.map((player) => player.friendlyName), ['Hana', 'Jo']);
  for (const peer of [host, ...joiners]) assert.deepEqual(peer.rosterNames(), ['Hana', 'Jo']);
});

test('a host that re-hosts within the rewind window lists each earlier clientId once', async () => {
  const network = new FakeAblyNetwork();
  const { host, joiners } = await sessionOf(network, 'Hana', 'Jo');
  await joiners[0].pubSubClient.sendMessage({ kind: 'connected' });
  await network.settle();
  host.close();

  const again = await createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Hana', hosting: true }).start();
  await network.settle();

  // Rewind replays Hana's old "connected" (an old clientId) and Jo's two; Jo appears once.
  assert.deepEqual(again.p2pServer.state.players.map((player) => player.friendlyName), ['Hana', 'Jo', 'Hana']);
});

test('the host sanitises the names peers announce', async () => {
  const network = new FakeAblyNetwork();
  const { host } = await sessionOf(network, 'Hana');
  const rogue = network.createRealtime({ clientId: 'rogue' });
  const channel = rogue.channels.get(`p2p:${SESSION}`);
  await channel.subscribe(() => {});

  await channel.publish('connected', { kind: 'connected', metadata: { clientId: 'rogue', friendlyName: `  ${'y'.repeat(80)}\u202E ` } });
  await channel.publish('connected', { kind: 'connected', metadata: { clientId: 'silent', friendlyName: '' } });
  await channel.publish('connected', { kind: 'connected', metadata: { friendlyName: 'no clientId' } });
  await network.settle();

  assert.deepEqual(host.rosterNames(), ['Hana', 'y'.repeat(32), 'Anonymous']);
});

test('the word stream reaches every peer whole and in order, one word per interval', async () => {
  const network = new FakeAblyNetwork();
  const pauses = [];
  const realtime = () => network.createRealtime();
  const host = await createPeer(realtime, {
    sessionId: SESSION,
    name: 'Hana',
    hosting: true,
    serverOptions: { sleep: async (ms) => pauses.push(ms) },
  }).start();
  const joiners = [
    await createPeer(realtime, { sessionId: SESSION, name: 'Jo' }).start(),
    await createPeer(realtime, { sessionId: SESSION, name: 'Kim' }).start(),
  ];
  await network.settle();

  await host.p2pServer.sendWordsAcrossMultipleMessages();
  await network.settle();

  for (const peer of [host, ...joiners]) assert.equal(peer.p2pClient.state.receivedWords, PHRASE);
  const words = network.history(`p2p:${SESSION}`).filter((message) => message.name === 'word');
  assert.deepEqual(words.map((message) => message.data.word), PHRASE.split(' '));
  assert.deepEqual(words.map((message) => message.data.index), PHRASE.split(' ').map((_, index) => index));
  assert.deepEqual(pauses, Array(PHRASE.split(' ').length - 1).fill(WORD_INTERVAL_MS));
});

test('the word stream waits 500 ms between words unless told otherwise, using real timers', async () => {
  const network = new FakeAblyNetwork();
  const realtime = () => network.createRealtime();
  assert.equal(createPeer(realtime, { sessionId: SESSION, hosting: true }).p2pServer.wordIntervalMs, WORD_INTERVAL_MS);
  const host = await createPeer(realtime, { sessionId: SESSION, hosting: true, serverOptions: { wordIntervalMs: 5 } }).start();

  const started = performance.now();
  await host.p2pServer.sendWordsAcrossMultipleMessages();

  assert.ok(performance.now() - started >= 5 * (PHRASE.split(' ').length - 1) - 1);
});

test('a late joiner catches up on the words by rewind', async () => {
  const network = new FakeAblyNetwork();
  const { host } = await sessionOf(network, 'Hana');
  await host.p2pServer.sendWordsAcrossMultipleMessages();
  await network.settle();

  const late = await createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Late' }).start();
  await network.settle();

  assert.equal(late.p2pClient.state.receivedWords, PHRASE);
  assert.equal(late.p2pClient.state.status, 'acknowledged');
  assert.deepEqual(late.rosterNames(), ['Hana', 'Late']);
});

test('rewind brings back only the last minute', async () => {
  let now = 1_000_000;
  const network = new FakeAblyNetwork({ now: () => now });
  const { host } = await sessionOf(network, 'Hana');
  await host.p2pServer.sendWordsAcrossMultipleMessages();
  await network.settle();

  now += 61_000;
  const late = await createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Late' }).start();
  await network.settle();

  assert.equal(late.p2pClient.state.receivedWords, '');
  assert.equal(late.p2pClient.state.status, 'acknowledged');
});

test('a client that cannot announce itself goes back to disconnected and says why', async () => {
  const network = new FakeAblyNetwork();
  const peer = createPeer(
    () => {
      const realtime = network.createRealtime();
      realtime.rejectPublishes(new FakeErrorInfo('Unable to perform channel operation', 40160, 401));
      return realtime;
    },
    { sessionId: SESSION, name: 'Jo' },
  );

  await assert.rejects(peer.start(), /Unable to perform channel operation/);
  assert.equal(peer.p2pClient.state.status, 'disconnected');
});

test('a host whose acknowledgement cannot be published reports it from the message handler', async () => {
  const network = new FakeAblyNetwork();
  const { host } = await sessionOf(network, 'Hana');
  host.pubSubClient.realtime.rejectPublishes(new FakeErrorInfo('Rate limit exceeded', 42910, 429));

  const jo = await createPeer(() => network.createRealtime(), { sessionId: SESSION, name: 'Jo' }).start();
  await network.settle();

  assert.equal(host.handlerErrors.length, 1);
  assert.equal(host.handlerErrors[0].code, 42910);
  assert.equal(jo.p2pClient.state.status, 'awaiting-acknowledgement');
});

test('a client ignores message kinds it does not know, but keeps their server state', () => {
  const client = new P2PClient({ friendlyName: 'Jo' }, SESSION, null);

  client.onReceiveMessage({ kind: 'future-kind', serverState: { players: [] } });

  assert.deepEqual(client.state, { status: 'disconnected', receivedWords: '' });
  assert.deepEqual(client.serverState, { players: [] });
});
