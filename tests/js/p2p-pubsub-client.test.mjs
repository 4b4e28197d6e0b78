// PubSubClient (site/p2p.js), the Ably wrapper every peer publishes and receives through, with the real ably-js on
// the emulator: its channels and presence, what it passes on of what it receives, and how it fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Identity, PUBSUB_EVENTS, PubSubClient } from '../../site/p2p.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { OutageProxy } from './support/outage-proxy.mjs';
import { appCapability } from './support/p2p-peers.mjs';
import { nextEvent, waitFor, within } from './support/waiting.mjs';

const REVOKED_KEY_NAME = 'fakeapp.revoked';

/**
 * A PubSubClient whose Ably clients come from `createRealtime`, recording every event it emits (`received`:
 * `{event, detail}` in order) and the Ably clients it made.
 */
function recordingClient(t, createRealtime) {
  const client = { received: [], realtimes: [] };
  client.pubSub = new PubSubClient({
    createRealtime: (sessionId) => {
      const realtime = createRealtime(sessionId);
      client.realtimes.push({ sessionId, realtime });
      return realtime;
    },
  });
  t.after(() => client.pubSub.close());
  for (const event of PUBSUB_EVENTS) client.pubSub.on(event, (detail) => client.received.push({ event, detail }));
  client.events = (name) => client.received.filter(({ event }) => event === name).map(({ detail }) => detail);
  // The markers of settled() aside.
  client.messages = () => client.events('message').filter((message) => !message.kind.startsWith('settled-'));
  client.presenceSets = () => presenceSets(client.events('presence'));
  return client;
}

/** A recording client holding the token the app's endpoint grants `clientId` in `session` (or `options`'). */
const appClient = (t, session, clientId, options) => recordingClient(t, () => session.client(clientId, options));

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

/** The clientIds of a presence set, sorted. */
const clientIdsOf = (members) => members.map((member) => member.clientId).sort();

describe('PubSubClient on the emulator', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator({ flags: ['--revoked-key', REVOKED_KEY_NAME] });
  });
  after(async () => {
    await emulator?.stop();
  });

  test('connects once however often connect is called, even concurrently', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');
    const identity = new Identity('Ada');

    await Promise.all([client.pubSub.connect(identity, session.id), client.pubSub.connect(identity, session.id)]);
    await client.pubSub.connect(identity, session.id);

    assert.equal(client.realtimes.length, 1);
    assert.equal(client.realtimes[0].sessionId, session.id);
    assert.equal(client.pubSub.connected, true);
  });

  test('uses channel p2p:<session> with a one-minute rewind and its own inbox p2p:<session>:inbox:<clientId>', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');

    await client.pubSub.connect(new Identity('Ada'), session.id);

    assert.equal(client.pubSub.channel.name, `p2p:${session.id}`);
    assert.deepEqual(client.pubSub.channel.params, { rewind: '1m' }, 'the params Ably attached with');
    assert.equal(client.pubSub.inbox.name, `p2p:${session.id}:inbox:ada-id`);
    assert.equal(client.pubSub.inbox.state, 'attached');
  });

  test('asks for the session channel while connecting, so its attach leaves as soon as Ably connects', async (t) => {
    const session = sessionOn(emulator, t);
    let stateWhenConnected = null;
    const client = recordingClient(t, () => {
      const realtime = session.client('ada-id');
      realtime.connection.once('connected', () => {
        stateWhenConnected = realtime.channels.get(`p2p:${session.id}`).state;
      });
      return realtime;
    });

    await client.pubSub.connect(new Identity('Ada'), session.id);

    assert.equal(stateWhenConnected, 'attaching', 'ably-js sent the attach before it reported connected');
    assert.deepEqual(clientIdsOf(await session.members()), ['ada-id']);
  });

  test('enters presence with its friendly name only, and has read the presence set when connect resolves', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');

    await ada.pubSub.connect(new Identity('Ada'), session.id);

    assert.equal(ada.received[0].event, 'presence');
    assert.ok(Array.isArray(ada.received[0].detail.members), 'the whole set comes first');
    assert.deepEqual(
      (await session.members()).map(({ clientId, data }) => ({ clientId, data })),
      [{ clientId: 'ada-id', data: { friendlyName: 'Ada' } }],
    );
    await waitFor(() => clientIdsOf(ada.presenceSets().at(-1)).join() === 'ada-id', { what: 'Ada to see herself' });
  });

  test("reports every change of the presence set, with the members' join timestamps", async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    const bob = appClient(t, session, 'bob-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    await bob.pubSub.connect(new Identity('Bob'), session.id);
    await waitFor(() => ada.presenceSets().at(-1)?.length === 2, { what: 'Ada to see Bob' });
    const joinedAt = Object.fromEntries((await session.members()).map((m) => [m.clientId, m.timestamp]));

    bob.pubSub.close();
    await waitFor(() => ada.presenceSets().at(-1).length === 1, { what: 'Ada to see Bob leave' });

    // The set read on connecting may come before Ada's own enter: then it is empty, and her enter follows.
    const sets = ada
      .presenceSets()
      .filter((members) => members.length)
      .map((members) => members.map(({ clientId, timestamp }) => `${clientId}@${timestamp}`).sort());
    const [adaAt, bobAt] = [`ada-id@${joinedAt['ada-id']}`, `bob-id@${joinedAt['bob-id']}`];
    assert.deepEqual(sets, [[adaAt], [adaAt, bobAt], [adaAt]]);
    assert.ok(joinedAt['ada-id'] <= joinedAt['bob-id']);
  });

  test('sends the kind as the Ably message name and the rest as data, on the session channel', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'issued-by-token-endpoint');

    await client.pubSub.connect(new Identity('Ada'), session.id);
    await client.pubSub.sendMessage({ kind: 'hello', text: 'hi' });

    const [published] = await session.history(session.channel);
    assert.equal(published.name, 'hello');
    assert.equal(published.clientId, 'issued-by-token-endpoint');
    assert.deepEqual(published.data, { text: 'hi' });
  });

  test("sends a targeted message to the target's inbox only", async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');
    await client.pubSub.connect(new Identity('Ada'), session.id);

    await client.pubSub.sendMessage({ kind: 'secret', n: 1 }, 'bob-id');

    assert.deepEqual(await session.history(session.channel), []);
    assert.deepEqual(
      (await session.history(session.inbox('bob-id'))).map(({ name, data }) => ({ name, data })),
      [{ name: 'secret', data: { n: 1 } }],
    );
  });

  test('does not change the message object it is given', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');
    await client.pubSub.connect(new Identity('Ada'), session.id);
    const message = { kind: 'hello' };

    await client.pubSub.sendMessage(message, 'someone');

    assert.deepEqual(message, { kind: 'hello' });
  });

  test('emits each message with the sender Ably verified as `from` and the channel as `via`', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    const bob = appClient(t, session, 'bob-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    await bob.pubSub.connect(new Identity('Bob'), session.id);

    await ada.pubSub.sendMessage({ kind: 'hello', text: 'all' });
    await ada.pubSub.sendMessage({ kind: 'psst', text: 'bob' }, 'bob-id');
    await waitFor(() => bob.messages().length === 2, { what: 'Bob to get both' });
    await session.settled([ada.pubSub, bob.pubSub]);

    assert.deepEqual(bob.messages(), [
      { kind: 'hello', text: 'all', from: 'ada-id', via: 'session' },
      { kind: 'psst', text: 'bob', from: 'ada-id', via: 'inbox' },
    ]);
    // Ably echoes to the publisher too (the host's client hears its own words).
    assert.deepEqual(ada.messages(), [{ kind: 'hello', text: 'all', from: 'ada-id', via: 'session' }]);
  });

  test('overwrites `from`, `via` and `kind` that a sender writes into its payload', async (t) => {
    const session = sessionOn(emulator, t);
    const bob = appClient(t, session, 'bob-id');
    await bob.pubSub.connect(new Identity('Bob'), session.id);
    const mallory = session.client('mallory');

    await within(
      mallory.channels
        .get(session.inbox('bob-id'))
        .publish('word', { from: 'the-host', via: 'session', kind: 'other', word: 'x' }),
      { what: "mallory's message" },
    );
    await waitFor(() => bob.messages().length, { what: 'Bob to get it' });

    assert.deepEqual(bob.messages(), [{ kind: 'word', word: 'x', from: 'mallory', via: 'inbox' }]);
  });

  test('holds rewound messages until it knows its clientId and the presence set, then delivers them in order', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    for (const word of ['one', 'two']) await ada.pubSub.sendMessage({ kind: 'word', word });

    const bob = appClient(t, session, 'bob-id');
    await bob.pubSub.connect(new Identity('Bob'), session.id);
    await waitFor(() => bob.messages().length === 2, { what: 'Bob to get the rewound words' });

    // Whenever they arrive, the words come after the whole presence set (presence events may come in between).
    const order = bob.received.map(({ detail }) => (detail.members ? 'set' : (detail.word ?? 'event')));
    assert.deepEqual(
      order.filter((entry) => entry !== 'event'),
      ['set', 'one', 'two'],
    );
  });

  test('ignores channel messages whose data is not an object', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');
    const stranger = session.client('stranger');
    await client.pubSub.connect(new Identity('Ada'), session.id);

    const channel = stranger.channels.get(session.channel);
    for (const data of ['text', null, [1, 2], Buffer.from([7])])
      await within(channel.publish('junk', data), { what: 'junk' });
    await within(channel.publish('fine', {}), { what: 'a fine message' });
    await waitFor(() => client.messages().length, { what: 'the fine message' });

    assert.deepEqual(
      client.messages().map((message) => message.kind),
      ['fine'],
    );
  });

  test('emits continuity-lost when a resume failed (a new connection), once the channels are attached again', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id', { ably: { disconnectedRetryTimeout: 200 } });
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    const { realtime } = ada.realtimes[0];

    await emulator.dropConnection(realtime.connection.id, { forget: true });
    await waitFor(() => ada.events('continuity-lost').length, { what: 'continuity-lost' });

    const lost = ada.events('continuity-lost');
    assert.equal(lost.length, 1);
    assert.equal(lost[0].reason.code, 80008);
    assert.equal(ada.pubSub.inbox.state, 'attached');
  });

  test('refuses to send before it is connected', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');

    await assert.rejects(client.pubSub.sendMessage({ kind: 'hello' }), /Client is not connected/);
    assert.deepEqual(await session.history(session.channel), []);
  });

  test('surfaces a publish Ably refuses to the sender', async (t) => {
    const session = sessionOn(emulator, t);
    const capability = appCapability(session.id, 'ada-id');
    capability[session.channel] = capability[session.channel].filter((operation) => operation !== 'publish');
    const client = appClient(t, session, 'ada-id', { capability });
    await client.pubSub.connect(new Identity('Ada'), session.id);

    await assert.rejects(client.pubSub.sendMessage({ kind: 'hello' }), (error) => {
      assert.equal(error.code, 40160);
      assert.equal(error.statusCode, 401);
      assert.match(error.message, /publish/);
      return true;
    });
    assert.deepEqual(await session.history(session.channel), []);
  });

  test('rejects connect when the connection fails, and connects afresh on the next call', async (t) => {
    const session = sessionOn(emulator, t);
    let attempts = 0;
    const refused = (_params, callback) =>
      callback({ message: 'Auth URL request failed', code: 80019, statusCode: 403 }, null);
    const { pubSub } = recordingClient(t, () => {
      attempts += 1;
      return attempts === 1
        ? emulator.realtime({ auth: 'none', ably: { authCallback: refused } }, t)
        : session.client('second-try');
    });

    await assert.rejects(pubSub.connect(new Identity('Ada'), session.id), (error) => error.code === 80019);
    assert.equal(pubSub.connected, false);

    await pubSub.connect(new Identity('Ada'), session.id);
    assert.equal(pubSub.metadata.clientId, 'second-try');
    assert.equal(attempts, 2);
  });

  test('connect waits while Ably cannot be reached, however long, and joins once Ably connects', async (t) => {
    const session = sessionOn(emulator, t);
    const proxy = await new OutageProxy(emulator.port).start();
    t.after(() => proxy.stop());
    proxy.cut();
    // Past connectionStateTtl without a connection, ably-js suspends it: an attach would give up then.
    const ably = {
      port: proxy.port,
      connectionStateTtl: 300,
      disconnectedRetryTimeout: 100,
      suspendedRetryTimeout: 100,
    };
    const client = appClient(t, session, 'ada-id', { ably });
    let joined = false;
    const connecting = client.pubSub.connect(new Identity('Ada'), session.id).then(() => {
      joined = true;
    });
    const { realtime } = client.realtimes[0];
    await nextEvent(realtime.connection, 'suspended', { what: 'the connection to be suspended' });
    assert.equal(joined, false);

    proxy.restore();
    await within(connecting, { what: 'the join once Ably is reachable' });

    assert.equal(client.pubSub.connected, true);
    assert.deepEqual(
      (await session.members()).map((member) => member.clientId),
      ['ada-id'],
    );
  });

  test('rejects connect when the connection fails, with Ably’s reason', async (t) => {
    const session = sessionOn(emulator, t);
    const client = recordingClient(t, () =>
      emulator.realtime({ auth: 'none', ably: { key: `${REVOKED_KEY_NAME}:revoked-secret` } }, t),
    );

    await assert.rejects(client.pubSub.connect(new Identity('Ada'), session.id), (error) => error.code === 40131);
    assert.equal(client.pubSub.connected, false);
  });

  test('rejects connect with 40160 when the token does not cover the session', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id', { capability: appCapability('other', 'ada-id') });

    await assert.rejects(client.pubSub.connect(new Identity('Ada'), session.id), (error) => error.code === 40160);
    assert.equal(client.pubSub.connected, false);
  });

  test('rejects connect for an invalid session id without creating an Ably client', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, 'ada-id');

    await assert.rejects(client.pubSub.connect(new Identity('Ada'), 'p2p:other'), /Invalid session id/);
    assert.equal(client.realtimes.length, 0);
  });

  test('rejects connect when the token carries no clientId, since nothing could be targeted at it', async (t) => {
    const session = sessionOn(emulator, t);
    const client = appClient(t, session, '*');

    await assert.rejects(client.pubSub.connect(new Identity('Ada'), session.id), /issued no clientId/);
    await within(client.realtimes[0].realtime.connection.whenState('closed'), { what: 'the connection to close' });
  });

  test('closes its Ably connection on close, leaves presence at once and stops receiving', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    const bob = appClient(t, session, 'bob-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    await bob.pubSub.connect(new Identity('Bob'), session.id);

    bob.pubSub.close();
    await ada.pubSub.sendMessage({ kind: 'hello' });
    await waitFor(() => ada.messages().length, { what: 'Ada to hear her own message' });

    await within(bob.realtimes[0].realtime.connection.whenState('closed'), { what: "Bob's connection to close" });
    assert.deepEqual(bob.messages(), []);
    // At once: the presence leave, well before Ably's 15 s timeout for a connection that just vanishes.
    await waitFor(async () => clientIdsOf(await session.members()).join() === 'ada-id', { what: 'Bob to leave' });
    await assert.rejects(bob.pubSub.sendMessage({ kind: 'hello' }), /Client is not connected/);
  });

  test('reads the presence set once, on connecting: a burst of joins then arrives one event per join', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    const presence = ada.pubSub.channel.presence;
    const read = presence.get.bind(presence);
    let reads = 0;
    presence.get = (...args) => {
      reads += 1;
      return read(...args);
    };
    const ids = ['b', 'c', 'd', 'e', 'f', 'g'].map((name) => `${name}-id`);
    const burst = ids.map((clientId) => appClient(t, session, clientId));
    await Promise.all(burst.map((peer, i) => peer.pubSub.connect(new Identity(`Peer ${i}`), session.id)));
    await waitFor(() => ada.presenceSets().at(-1).length === 7, { what: 'Ada to see the burst' });

    assert.equal(reads, 0);
    assert.deepEqual(
      ada
        .events('presence')
        .filter((change) => change.event?.action === 'enter' && change.event.clientId !== 'ada-id')
        .map((change) => change.event.clientId)
        .sort(),
      ids,
    );
  });

  test('emits the presence set after connecting, and one presence event per later change', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    const bob = appClient(t, session, 'bob-id');
    await bob.pubSub.connect(new Identity('Bob'), session.id);
    await waitFor(() => ada.presenceSets().at(-1).length === 2, { what: 'Ada to see Bob' });
    await session.settled([ada.pubSub]);

    const [first, ...changes] = ada.events('presence');
    assert.deepEqual(Object.keys(first), ['members']);
    assert.deepEqual(
      changes.filter(({ event }) => event.clientId === 'bob-id').map(({ event }) => [event.action, event.clientId]),
      [['enter', 'bob-id']],
    );
    assert.deepEqual(ada.messages(), []);
  });

  test('a listener removed with off hears nothing more, and an unknown event name throws', async (t) => {
    const session = sessionOn(emulator, t);
    const ada = appClient(t, session, 'ada-id');
    const heard = [];
    const listener = (message) => heard.push(message.kind);
    ada.pubSub.on('message', listener);
    await ada.pubSub.connect(new Identity('Ada'), session.id);
    await ada.pubSub.sendMessage({ kind: 'first' });
    await waitFor(() => heard.length, { what: 'the first message' });

    ada.pubSub.off('message', listener);
    await ada.pubSub.sendMessage({ kind: 'second' });
    await waitFor(() => ada.messages().length === 2, { what: 'the second message' });

    assert.deepEqual(heard, ['first']);
    assert.throws(() => ada.pubSub.on('messages', () => {}), /Unknown PubSubClient event "messages"/);
  });
});
