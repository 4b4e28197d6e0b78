import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Identity, PubSubClient } from '../../site/p2p.js';
import { FakeAblyNetwork, FakeErrorInfo } from './support/fake-ably.mjs';

/** A PubSubClient on `network` that records what it receives and how many Ably clients it made. */
function recordingClient(network, realtimeOptions = {}) {
  const client = {
    received: [],
    realtimes: [],
  };
  client.pubSub = new PubSubClient((message, metadata, ablyMessage) => client.received.push({ message, metadata, ablyMessage }), {
    createRealtime: (uniqueId) => {
      const realtime = network.createRealtime(realtimeOptions);
      client.realtimes.push({ uniqueId, realtime });
      return realtime;
    },
  });
  return client;
}

test('connects once however often connect is called, even concurrently', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  const identity = new Identity('Ada');

  await Promise.all([client.pubSub.connect(identity, 'room1'), client.pubSub.connect(identity, 'room1')]);
  await client.pubSub.connect(identity, 'room1');

  assert.equal(client.realtimes.length, 1);
  assert.equal(client.realtimes[0].uniqueId, 'room1');
  assert.equal(client.pubSub.connected, true);
});

test('uses channel p2p:<session> with a one-minute rewind', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);

  await client.pubSub.connect(new Identity('Ada'), 'room1');

  assert.equal(client.pubSub.channel.name, 'p2p:room1');
  assert.deepEqual(client.pubSub.channel.options, { params: { rewind: '1m' } });
});

test('learns its clientId from the connection and stamps it with the friendly name on every message', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, { clientId: 'issued-by-token-endpoint' });

  await client.pubSub.connect(new Identity('Ada'), 'room1');
  await client.pubSub.sendMessage({ kind: 'hello', text: 'hi' });
  await network.settle();

  const [published] = network.history('p2p:room1');
  assert.equal(published.name, 'hello');
  assert.deepEqual(published.data, {
    kind: 'hello',
    text: 'hi',
    metadata: { clientId: 'issued-by-token-endpoint', friendlyName: 'Ada' },
    forClientId: null,
  });
});

test('does not change the message object it is given', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  await client.pubSub.connect(new Identity('Ada'), 'room1');
  const message = { kind: 'hello' };

  await client.pubSub.sendMessage(message, 'someone');

  assert.deepEqual(message, { kind: 'hello' });
});

test('marks a targeted message with forClientId', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  await client.pubSub.connect(new Identity('Ada'), 'room1');

  await client.pubSub.sendMessage({ kind: 'secret' }, 'client-bob');

  assert.equal(network.history('p2p:room1')[0].data.forClientId, 'client-bob');
});

test('passes received messages on with its own metadata and the Ably message', async () => {
  const network = new FakeAblyNetwork();
  const ada = recordingClient(network, { clientId: 'ada-id' });
  const bob = recordingClient(network, { clientId: 'bob-id' });
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');

  await ada.pubSub.sendMessage({ kind: 'hello' });
  await network.settle();

  assert.equal(bob.received.length, 1);
  const [{ message, metadata, ablyMessage }] = bob.received;
  assert.equal(message.kind, 'hello');
  assert.equal(message.metadata.friendlyName, 'Ada');
  assert.deepEqual(metadata, { clientId: 'bob-id', friendlyName: 'Bob' });
  assert.equal(ablyMessage.clientId, 'ada-id');
  // Ably echoes to the publisher too: the host's server hears its own client's "connected".
  assert.equal(ada.received.length, 1);
});

test('holds messages that arrive while attaching until it knows its own clientId', async () => {
  const received = [];
  // A client whose channel delivers a rewound message before the attach completes.
  const realtime = {
    auth: { clientId: null },
    channels: {
      get: () => ({
        subscribe: async (listener) => {
          listener({ data: { kind: 'word', word: 'early' } });
          realtime.auth.clientId = 'me';
        },
      }),
    },
  };
  const pubSub = new PubSubClient((message, metadata) => received.push({ message, metadata }), { createRealtime: () => realtime });

  await pubSub.connect(new Identity('Ada'), 'room1');

  assert.deepEqual(received, [{ message: { kind: 'word', word: 'early' }, metadata: { clientId: 'me', friendlyName: 'Ada' } }]);
});

test('ignores channel messages whose data is not an object', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network);
  const stranger = network.createRealtime();
  await client.pubSub.connect(new Identity('Ada'), 'room1');

  const channel = stranger.channels.get('p2p:room1');
  await channel.subscribe(() => {});
  for (const data of ['text', null, [1, 2], 7]) await channel.publish('junk', data);
  await channel.publish('fine', { kind: 'fine' });
  await network.settle();

  assert.deepEqual(client.received.map(({ message }) => message.kind), ['fine']);
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
  const pubSub = new PubSubClient(() => {}, {
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

test('rejects connect when the connection is suspended', async () => {
  const network = new FakeAblyNetwork();
  const client = recordingClient(network, {
    failWith: new FakeErrorInfo('Connection to server unavailable', 80002, 400),
    failedState: 'suspended',
  });

  await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'room1'), /Connection to server unavailable/);
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

test('closes its Ably connection on close and stops receiving', async () => {
  const network = new FakeAblyNetwork();
  const ada = recordingClient(network);
  const bob = recordingClient(network);
  await ada.pubSub.connect(new Identity('Ada'), 'room1');
  await bob.pubSub.connect(new Identity('Bob'), 'room1');

  bob.pubSub.close();
  await ada.pubSub.sendMessage({ kind: 'hello' });
  await network.settle();

  assert.equal(bob.realtimes[0].realtime.connection.state, 'closed');
  assert.equal(bob.received.length, 0);
  await assert.rejects(bob.pubSub.sendMessage({ kind: 'hello' }), /Client is not connected/);
});
