import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Identity, PUBSUB_EVENTS, PubSubClient } from '../../site/p2p.js';
import { FakeAblyNetwork, FakeErrorInfo } from './support/fake-ably.mjs';
import { appCapability } from './support/p2p-peers.mjs';

/**
 * A PubSubClient on `network` that records every event it emits (`received`: `{event, detail}` in order) and the
 * Ably clients it made.
 */
function recordingClient(network, realtimeOptions = {}) {
  const client = {
    received: [],
    realtimes: [],
  };
  client.pubSub = new PubSubClient({
    createRealtime: (sessionId) => {
      const realtime = network.createRealtime(realtimeOptions);
      client.realtimes.push({ sessionId, realtime });
      return realtime;
    },
  });
  for (const event of PUBSUB_EVENTS) client.pubSub.on(event, (detail) => client.received.push({ event, detail }));
  client.events = (name) => client.received.filter(({ event }) => event === name).map(({ detail }) => detail);
  client.messages = () => client.events('message');
  client.presenceSets = () => presenceSets(client.events('presence'));
  return client;
}

/**
 * The presence sets a client saw, in order: each whole set read (`members`), and the set after each event
 * (`event`) that changed it.
 */
function presenceSets(changes) {
  const sets = [];
  let members = new Map();
  for (const change of changes) {
    if (change.members) {
      members = new Map(change.members.map((member) => [`${member.clientId}:${member.connectionId}`, member]));
    } else {
      const { action, ...member } = change.event;
      const key = `${member.clientId}:${member.connectionId}`;
      if (['leave', 'absent'].includes(action) ? !members.delete(key) : members.has(key)) continue;
      if (!['leave', 'absent'].includes(action)) members.set(key, member);
    }
    sets.push([...members.values()]);
  }
  return sets;
}

/** A client with the capability the token endpoint grants for room1. */
function appClient(network, clientId) {
  return recordingClient(network, { clientId, capability: appCapability('room1', clientId) });
}

test('connects once however often connect is called, even concurrently', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  const identity = new Identity('Ada');

  await Promise.all([client.pubSub.connect(identity, 'room1'), client.pubSub.connect(identity, 'room1')]);
  await client.pubSub.connect(identity, 'room1');

  assert.equal(client.realtimes.length, 1);
  assert.equal(client.realtimes[0].sessionId, 'room1');
  assert.equal(client.pubSub.connected, true);
});

test('uses channel p2p:<session> with a one-minute rewind and its own inbox p2p:<session>:inbox:<clientId>', async () => {
  const network = new FakeAblyNetwork();
  const client = appClient(network, 'ada-id');

  await client.pubSub.connect(new Identity('Ada'), 'room1');

  assert.equal(client.pubSub.channel.name, 'p2p:room1');
  assert.deepEqual(client.pubSub.channel.options, { params: { rewind: '1m' } });
  assert.equal(client.pubSub.inbox.name, 'p2p:room1:inbox:ada-id');
  assert.equal(client.pubSub.inbox.state, 'attached');
});

test('enters presence with its friendly name only, and has seen the presence set when connect resolves', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');

  await ada.pubSub.connect(new Identity('Ada'), 'room1');

  assert.deepEqual(
    network.members('p2p:room1').map(({ clientId, data }) => ({ clientId, data })),
    [{ clientId: 'ada-id', data: { friendlyName: 'Ada' } }],
  );
  assert.deepEqual(
    ada.presenceSets().map((members) => members.map((member) => member.clientId)),
    [['ada-id']],
  );
  assert.equal(ada.received[0].event, 'presence');
});

test("reports every change of the presence set, with the members' join timestamps", async () => {
  let now = 1_000;
  const network = new FakeAblyNetwork({ now: () => now });
  const ada = appClient(network, 'ada-id');
  const bob = appClient(network, 'bob-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  now = 2_000;
  await bob.pubSub.connect(new Identity('Bob'), 'room1');
  await network.settle();

  bob.pubSub.close();
  await network.settle();

  const sets = ada
    .presenceSets()
    .map((members) => members.map(({ clientId, timestamp }) => `${clientId}@${timestamp}`).sort());
  assert.deepEqual(sets, [['ada-id@1000'], ['ada-id@1000', 'bob-id@2000'], ['ada-id@1000']]);
});

test('sends the kind as the Ably message name and the rest as data, on the session channel', async () => {
  const network = new FakeAblyNetwork();
  const client = appClient(network, 'issued-by-token-endpoint');

  await client.pubSub.connect(new Identity('Ada'), 'room1');
  await client.pubSub.sendMessage({ kind: 'hello', text: 'hi' });
  await network.settle();

  const [published] = network.history('p2p:room1');
  assert.equal(published.name, 'hello');
  assert.equal(published.clientId, 'issued-by-token-endpoint');
  assert.deepEqual(published.data, { text: 'hi' });
});

test("sends a targeted message to the target's inbox only", async () => {
  const network = new FakeAblyNetwork();
  const client = appClient(network, 'ada-id');
  await client.pubSub.connect(new Identity('Ada'), 'room1');

  await client.pubSub.sendMessage({ kind: 'secret', n: 1 }, 'bob-id');

  assert.deepEqual(network.history('p2p:room1'), []);
  assert.deepEqual(
    network.history('p2p:room1:inbox:bob-id').map(({ name, data }) => ({ name, data })),
    [{ name: 'secret', data: { n: 1 } }],
  );
});

test('does not change the message object it is given', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  await client.pubSub.connect(new Identity('Ada'), 'room1');
  const message = { kind: 'hello' };

  await client.pubSub.sendMessage(message, 'someone');

  assert.deepEqual(message, { kind: 'hello' });
});

test('emits each message with the sender Ably verified as `from` and the channel as `via`', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  const bob = appClient(network, 'bob-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');

  await ada.pubSub.sendMessage({ kind: 'hello', text: 'all' });
  await ada.pubSub.sendMessage({ kind: 'psst', text: 'bob' }, 'bob-id');
  await network.settle();

  assert.deepEqual(bob.messages(), [
    { kind: 'hello', text: 'all', from: 'ada-id', via: 'session' },
    { kind: 'psst', text: 'bob', from: 'ada-id', via: 'inbox' },
  ]);
  // Ably echoes to the publisher too (the host's client hears its own words).
  assert.deepEqual(ada.messages(), [{ kind: 'hello', text: 'all', from: 'ada-id', via: 'session' }]);
});

test('overwrites `from`, `via` and `kind` that a sender writes into its payload', async () => {
  const network = new FakeAblyNetwork();
  const bob = appClient(network, 'bob-id');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');
  const mallory = network.createRealtime({ clientId: 'mallory', capability: appCapability('room1', 'mallory') });

  await mallory.channels
    .get('p2p:room1:inbox:bob-id')
    .publish('word', { from: 'the-host', via: 'session', kind: 'other', word: 'x' });
  await network.settle();

  assert.deepEqual(bob.messages(), [{ kind: 'word', word: 'x', from: 'mallory', via: 'inbox' }]);
});

test('holds rewound messages until it knows its clientId and the presence set, then delivers them in order', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  for (const word of ['one', 'two']) await ada.pubSub.sendMessage({ kind: 'word', word });
  await network.settle();

  const bob = appClient(network, 'bob-id');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');
  await network.settle();

  assert.deepEqual(
    bob.received.map(({ event, detail }) => detail.word ?? event),
    ['presence', 'one', 'two'],
  );
});

test('ignores channel messages whose data is not an object', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  const stranger = network.createRealtime();
  await client.pubSub.connect(new Identity('Ada'), 'room1');

  const channel = stranger.channels.get('p2p:room1');
  for (const data of ['text', null, [1, 2], 7]) await channel.publish('junk', data);
  await channel.publish('fine', {});
  await network.settle();

  assert.deepEqual(
    client.messages().map((message) => message.kind),
    ['fine'],
  );
});

test('emits continuity-lost when a resume failed (a new connection), once the channels are attached again', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  const { realtime } = ada.realtimes[0];

  realtime.loseTransport();
  realtime.reconnectAfterResumeFailed();
  await network.settle();

  const lost = ada.events('continuity-lost');
  assert.equal(lost.length, 1);
  assert.equal(lost[0].reason.code, 80008);
  assert.equal(ada.pubSub.inbox.state, 'attached');
});

test('refuses to send before it is connected', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);

  await assert.rejects(client.pubSub.sendMessage({ kind: 'hello' }), /Client is not connected/);
  assert.deepEqual(network.history('p2p:room1'), []);
});

test('surfaces a rejected publish to the sender', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  await client.pubSub.connect(new Identity('Ada'), 'room1');
  client.realtimes[0].realtime.rejectPublishes(new FakeErrorInfo('Unable to perform channel operation', 40160, 401));

  await assert.rejects(client.pubSub.sendMessage({ kind: 'hello' }), (error) => {
    assert.equal(error.code, 40160);
    assert.match(error.message, /Unable to perform channel operation/);
    return true;
  });
  assert.deepEqual(network.history('p2p:room1'), []);
});

test('rejects connect when the connection fails, and connects afresh on the next call', async () => {
  const network = new FakeAblyNetwork();
  let attempts = 0;
  const pubSub = new PubSubClient({
    createRealtime: () => {
      attempts += 1;
      return attempts === 1
        ? network.createRealtime({ failWith: new FakeErrorInfo('Auth URL request failed', 80019, 401) })
        : network.createRealtime({ clientId: 'second-try' });
    },
  });

  await assert.rejects(pubSub.connect(new Identity('Ada'), 'room1'), /Auth URL request failed/);
  assert.equal(pubSub.connected, false);

  await pubSub.connect(new Identity('Ada'), 'room1');
  assert.equal(pubSub.metadata.clientId, 'second-try');
  assert.equal(attempts, 2);
});

test('connect waits while Ably cannot be reached, however long, and joins once Ably connects', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, {
    clientId: 'ada-id',
    failWith: new FakeErrorInfo('Connection to server unavailable', 80002, 400),
    failedState: 'suspended',
  });
  let joined = false;
  const connecting = client.pubSub.connect(new Identity('Ada'), 'room1').then(() => {
    joined = true;
  });
  await network.settle();
  const { realtime } = client.realtimes[0];
  assert.equal(realtime.connection.state, 'suspended');
  assert.equal(joined, false);

  realtime.connect();
  await connecting;

  assert.equal(client.pubSub.connected, true);
  assert.deepEqual(
    network.members('p2p:room1').map((member) => member.clientId),
    ['ada-id'],
  );
});

test('rejects connect when the connection fails, with Ably’s reason', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, { failWith: new FakeErrorInfo('Token revoked', 40141, 401) });

  await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'room1'), (error) => error.code === 40141);
  assert.equal(client.pubSub.connected, false);
});

test('rejects connect with 40160 when the token does not cover the session', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, { clientId: 'ada-id', capability: appCapability('other', 'ada-id') });

  await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'room1'), (error) => error.code === 40160);
  assert.equal(client.pubSub.connected, false);
});

test('rejects connect for an invalid session id without creating an Ably client', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);

  await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'p2p:other'), /Invalid session id/);
  assert.equal(client.realtimes.length, 0);
});

test('rejects connect when the token carries no clientId, since nothing could be targeted at it', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, { clientId: '*' });

  await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'room1'), /issued no clientId/);
  assert.equal(client.realtimes[0].realtime.connection.state, 'closed');
});

test('closes its Ably connection on close, leaves presence at once and stops receiving', async () => {
  const network = new FakeAblyNetwork();
  const ada = recordingClient(network);
  const bob = recordingClient(network);
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');
  await network.settle();

  bob.pubSub.close();
  await ada.pubSub.sendMessage({ kind: 'hello' });
  await network.settle();

  assert.equal(bob.realtimes[0].realtime.connection.state, 'closed');
  assert.deepEqual(bob.messages(), []);
  assert.deepEqual(
    network.members('p2p:room1').map((member) => member.clientId),
    [ada.pubSub.metadata.clientId],
  );
  await assert.rejects(bob.pubSub.sendMessage({ kind: 'hello' }), /Client is not connected/);
});

test('reads the presence set once, on connecting: a burst of joins then arrives one event per join', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  const presence = ada.pubSub.channel.presence;
  const read = presence.get.bind(presence);
  let reads = 0;
  presence.get = () => {
    reads += 1;
    return read();
  };
  const burst = ['b', 'c', 'd', 'e', 'f', 'g'].map((name) => appClient(network, `${name}-id`));
  await Promise.all(burst.map((peer, i) => peer.pubSub.connect(new Identity(`Peer ${i}`), 'room1')));
  await network.settle();

  assert.equal(ada.presenceSets().at(-1).length, 7);
  assert.equal(reads, 0);
  assert.deepEqual(
    ada
      .events('presence')
      .filter((change) => change.event?.action === 'enter')
      .map((change) => change.event.clientId),
    burst.map((_, i) => `${'bcdefg'[i]}-id`),
  );
});

test('emits the presence set after connecting, and one presence event per later change', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  const bob = appClient(network, 'bob-id');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');
  await network.settle();

  const [first, ...changes] = ada.events('presence');
  assert.deepEqual(Object.keys(first), ['members']);
  assert.deepEqual(
    changes.map(({ event }) => [event.action, event.clientId]),
    [['enter', 'bob-id']],
  );
  assert.deepEqual(ada.messages(), []);
});

test('a listener removed with off hears nothing more, and an unknown event name throws', async () => {
  const network = new FakeAblyNetwork();
  const ada = appClient(network, 'ada-id');
  const heard = [];
  const listener = (message) => heard.push(message.kind);
  ada.pubSub.on('message', listener);
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  await ada.pubSub.sendMessage({ kind: 'first' });
  await network.settle();

  ada.pubSub.off('message', listener);
  await ada.pubSub.sendMessage({ kind: 'second' });
  await network.settle();

  assert.deepEqual(heard, ['first']);
  assert.throws(() => ada.pubSub.on('messages', () => {}), /Unknown PubSubClient event "messages"/);
});
