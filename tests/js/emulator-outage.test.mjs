/**
 * ably-js 2.x against an emulator with short timers, behind a proxy that can take the network away:
 * an outage longer than connectionStateTtl ends in a new connection (80008) whose channels work again,
 * a member whose connection does not come back is announced as left after the presence timeout, and
 * heartbeats keep an idle connection alive within a short maxIdleInterval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { OutageProxy } from './support/outage-proxy.mjs';
import { Inbox, connected, sequence, uniqueName } from './support/realtime.mjs';
import { nextEvent, waitFor, within } from './support/waiting.mjs';

const CONNECTION_STATE_TTL_SECONDS = 1.5;
const PRESENCE_LEAVE_SECONDS = 1;
const MAX_IDLE_SECONDS = 0.3;

let emulator;
let proxy;
before(async () => {
  emulator = await startEmulator({
    flags: [
      '--connection-state-ttl',
      String(CONNECTION_STATE_TTL_SECONDS),
      '--presence-leave-timeout',
      String(PRESENCE_LEAVE_SECONDS),
      '--max-idle-interval',
      String(MAX_IDLE_SECONDS),
    ],
  });
  proxy = await new OutageProxy(emulator.port).start();
});
after(async () => {
  await proxy?.stop();
  await emulator?.stop();
});

/** A client that reaches the emulator through the proxy and retries quickly while the network is away. */
function clientBehindProxy(t, options) {
  return emulator.realtime(
    { ...options, ably: { port: proxy.port, disconnectedRetryTimeout: 200, suspendedRetryTimeout: 200 } },
    t,
  );
}

/** Wait until the emulator no longer knows `connectionId` (its state outlived connectionStateTtl). */
function forgotten(connectionId) {
  return waitFor(async () => !(await emulator.connections()).some((c) => c.connectionId === connectionId), {
    what: `the emulator to discard connection ${connectionId}`,
    intervalMs: 100,
  });
}

for (const format of FORMATS) {
  describe(`heartbeats (${format})`, () => {
    test('keeps an idle connection up through heartbeats within maxIdleInterval', async (t) => {
      // The client gives up after maxIdleInterval + realtimeRequestTimeout of silence: 0.3 s + 0.7 s here.
      const client = emulator.realtime({ format, ably: { realtimeRequestTimeout: 700 } }, t);
      await connected(client);
      assert.equal(client.connection.connectionManager.connectionDetails?.maxIdleInterval, MAX_IDLE_SECONDS * 1000);
      const changes = [];
      client.connection.on((change) => changes.push(`${change.previous}->${change.current}`));

      const idleUntil = Date.now() + 2_000;
      await waitFor(() => Date.now() >= idleUntil || changes.length > 0, {
        what: 'two seconds of idle connection',
        intervalMs: 50,
      });
      assert.deepEqual(changes, [], 'no disconnection while idle');
      assert.equal(client.connection.state, 'connected');
    });
  });

  describe(`network outages (${format})`, () => {
    test('an outage past connectionStateTtl gives a new connection with 80008, and the channel works again', async (t) => {
      const name = uniqueName(`outage-${format}`);
      const client = clientBehindProxy(t, { format });
      const inbox = new Inbox(client.channels.get(name));
      const publisher = emulator.realtime({ format }, t).channels.get(name);
      await inbox.attached;
      await publisher.publish('before', 'before');
      await inbox.waitForName('before');
      const oldConnectionId = client.connection.id;

      const disconnected = nextEvent(client.connection, 'disconnected', { what: 'the outage to be noticed' });
      proxy.cut();
      t.after(() => proxy.restore());
      await disconnected;
      const missed = sequence('missed', 3);
      await within(Promise.all(missed.map((messageName) => publisher.publish(messageName, messageName))), {
        what: 'the publishes made during the outage',
      });
      await forgotten(oldConnectionId);
      const reconnected = nextEvent(client.connection, 'connected', { what: 'the connection after the outage' });
      proxy.restore();
      const change = await reconnected;

      assert.notEqual(client.connection.id, oldConnectionId, 'a new connection');
      assert.equal(change.reason?.code, 80008, `resume refused with 80008 (got ${change.reason})`);
      await within(inbox.channel.whenState('attached'), { what: 'the channel to re-attach' });
      await publisher.publish('after', 'after');
      await inbox.waitForName('after');
      await inbox.channel.publish('own', 'own');
      await inbox.waitForName('own');
      assert.deepEqual(inbox.names, ['before', ...missed, 'after', 'own']);
    });

    test('a member whose connection does not come back is announced as left after the presence timeout', async (t) => {
      const name = uniqueName(`presence-timeout-${format}`);
      const gone = clientBehindProxy(t, { format, clientId: 'gone' });
      const watcher = emulator.realtime({ format, clientId: 'watcher' }, t).channels.get(name);
      const seen = [];
      await within(
        watcher.presence.subscribe((message) => seen.push(message)),
        { what: 'the watcher attaching' },
      );
      await within(gone.channels.get(name).presence.enter('here'), { what: 'entering' });
      await waitFor(() => seen.length >= 1, { what: 'the watcher to see the enter' });

      const disconnected = nextEvent(gone.connection, 'disconnected', { what: 'the outage to be noticed' });
      const cutAt = Date.now();
      proxy.cut();
      t.after(() => proxy.restore());
      await disconnected;
      await waitFor(() => seen.some((message) => message.action === 'leave'), {
        what: 'the leave after the presence timeout',
      });
      const elapsed = Date.now() - cutAt;

      assert.ok(elapsed >= PRESENCE_LEAVE_SECONDS * 1000 - 100, `the leave waited for the timeout (${elapsed} ms)`);
      assert.deepEqual(
        seen.map((message) => `${message.action}:${message.clientId}`),
        ['enter:gone', 'leave:gone'],
      );
      assert.deepEqual(await within(watcher.presence.get(), { what: 'presence.get()' }), []);
    });
  });
}
