/**
 * ably-js 2.x against the emulator: presence enter/update/leave, the member set on get(), leave on close,
 * and membership kept across a dropped transport, in JSON and msgpack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { connected, uniqueName } from './support/realtime.mjs';
import { nextEvent, waitFor, within } from './support/waiting.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

/** Subscribe to every presence event on `channel` (attaching it); returns the list events are pushed to. */
async function watchPresence(channel) {
  const events = [];
  await within(
    channel.presence.subscribe((message) => events.push(message)),
    { what: `attaching ${channel.name} for presence` },
  );
  return events;
}

const summary = (events) => events.map((message) => `${message.action}:${message.clientId}:${message.data ?? ''}`);

/** The current members as `clientId:data`, sorted. */
async function members(channel) {
  const list = await within(channel.presence.get(), { what: `presence.get() on ${channel.name}` });
  return list.map((member) => `${member.clientId}:${member.data ?? ''}`).sort();
}

for (const format of FORMATS) {
  describe(`presence (${format})`, () => {
    test('enters, updates and leaves, and another member sees each event and the member set', async (t) => {
      const name = uniqueName(`presence-${format}`);
      const alice = emulator.realtime({ format, clientId: 'alice' }, t).channels.get(name);
      const bob = emulator.realtime({ format, clientId: 'bob' }, t).channels.get(name);
      const seen = await watchPresence(bob);

      await within(alice.presence.enter('hello'), { what: 'alice entering' });
      await waitFor(() => seen.length >= 1, { what: 'bob to see the enter' });
      assert.deepEqual(await members(bob), ['alice:hello']);

      await within(alice.presence.update('busy'), { what: 'alice updating' });
      await waitFor(() => seen.length >= 2, { what: 'bob to see the update' });
      assert.deepEqual(await members(bob), ['alice:busy']);

      await within(alice.presence.leave('bye'), { what: 'alice leaving' });
      await waitFor(() => seen.length >= 3, { what: 'bob to see the leave' });
      assert.deepEqual(await members(bob), []);
      assert.deepEqual(summary(seen), ['enter:alice:hello', 'update:alice:busy', 'leave:alice:bye']);
      assert.ok(seen.every((message) => message.connectionId === alice.client.connection.id));
    });

    test('gives a member who attaches later the current set through the sync', async (t) => {
      const name = uniqueName(`sync-${format}`);
      const carol = emulator.realtime({ format, clientId: 'carol' }, t).channels.get(name);
      const dave = emulator.realtime({ format, clientId: 'dave' }, t).channels.get(name);
      await within(carol.presence.enter('c'), { what: 'carol entering' });
      await within(dave.presence.enter('d'), { what: 'dave entering' });

      const late = emulator.realtime({ format: FORMATS.find((other) => other !== format) }, t).channels.get(name);
      assert.deepEqual(await members(late), ['carol:c', 'dave:d']);
    });

    test('gives a late attacher all 200 members of 60 KB each (12 MB of SYNC) without reconnecting', async (t) => {
      // Issue 18: one SYNC frame above maxFrameSize; the emulator now pages it under the limit, as Ably does.
      const name = uniqueName(`full-channel-${format}`);
      const dataOf = (clientId) => `${clientId}:`.padEnd(60_000, 'x');
      const host = emulator.realtime({ format, clientId: '*' }, t).channels.get(name);
      await within(host.attach(), { what: 'the host attaching' });
      const clientIds = Array.from({ length: 200 }, (_, index) => `member-${String(index).padStart(3, '0')}`);
      await within(Promise.all(clientIds.map((clientId) => host.presence.enterClient(clientId, dataOf(clientId)))), {
        what: 'entering 200 members',
        timeoutMs: 60_000,
      });

      const late = emulator.realtime({ format }, t);
      await connected(late);
      const connectionId = late.connection.id;
      const changes = [];
      late.connection.on((change) => changes.push(change.current));
      // ably-js internals: the ws socket of the active transport, to see the size of every frame it receives.
      const manager = late.connection.connectionManager;
      const frameSizes = [];
      manager.activeProtocol.getTransport().wsConnection.on('message', (data) => frameSizes.push(data.length));
      const list = await within(late.channels.get(name).presence.get(), {
        what: 'presence.get() on the full channel',
        timeoutMs: 60_000,
      });

      assert.deepEqual(list.map((member) => member.clientId).sort(), clientIds);
      assert.ok(list.every((member) => member.data === dataOf(member.clientId)));
      assert.ok(frameSizes.length > 20, '12 MB in frames of at most 512 KiB');
      assert.ok(
        Math.max(...frameSizes) <= manager.connectionDetails.maxFrameSize,
        `frames: ${Math.max(...frameSizes)}`,
      );
      assert.deepEqual(changes, [], 'the connection never left connected');
      assert.equal(late.connection.id, connectionId);
    });

    test('announces a leave at once when a member closes its connection', async (t) => {
      const name = uniqueName(`close-leave-${format}`);
      const erin = emulator.realtime({ format, clientId: 'erin' }, t);
      const watcher = emulator.realtime({ format, clientId: 'watcher' }, t).channels.get(name);
      const seen = await watchPresence(watcher);
      await within(erin.channels.get(name).presence.enter('here'), { what: 'erin entering' });
      await waitFor(() => seen.length >= 1, { what: 'the watcher to see erin enter' });

      erin.close();
      // Well inside the 15 s an abruptly disconnected member is kept for: this leave must come from the CLOSE.
      await waitFor(() => seen.some((message) => message.action === 'leave'), {
        what: 'the leave for the closed connection',
        timeoutMs: 5_000,
      });
      assert.deepEqual(await members(watcher), []);
    });

    test('announces a leave at once when a member detaches the channel', async (t) => {
      const name = uniqueName(`detach-leave-${format}`);
      const gina = emulator.realtime({ format, clientId: 'gina' }, t).channels.get(name);
      const watcher = emulator.realtime({ format, clientId: 'watcher' }, t).channels.get(name);
      const seen = await watchPresence(watcher);
      await within(gina.presence.enter('here'), { what: 'gina entering' });
      await waitFor(() => seen.length >= 1, { what: 'the watcher to see gina enter' });

      await within(gina.detach(), { what: 'gina detaching' });
      await waitFor(() => seen.some((message) => message.action === 'leave'), {
        what: 'the leave for the detached member',
        timeoutMs: 5_000,
      });
      assert.deepEqual(await members(watcher), []);
    });

    test('lists the current members over REST', async (t) => {
      const name = uniqueName(`rest-presence-${format}`);
      const hana = emulator.realtime({ format, clientId: 'hana' }, t).channels.get(name);
      await within(hana.presence.enter({ mood: 'ok' }), { what: 'hana entering' });

      const rest = emulator.rest({ format });
      const page = await within(rest.channels.get(name).presence.get(), { what: 'REST presence.get()' });
      assert.deepEqual(
        page.items.map((member) => [member.clientId, member.action, member.data]),
        [['hana', 'present', { mood: 'ok' }]],
      );
    });

    test('keeps a member present across a dropped transport, with no leave announced', async (t) => {
      const name = uniqueName(`drop-presence-${format}`);
      const frank = emulator.realtime({ format, clientId: 'frank' }, t);
      const frankChannel = frank.channels.get(name);
      const watcher = emulator.realtime({ format, clientId: 'watcher' }, t).channels.get(name);
      const seen = await watchPresence(watcher);
      await within(frankChannel.presence.enter('before'), { what: 'frank entering' });
      await waitFor(() => seen.length >= 1, { what: 'the watcher to see frank enter' });
      await connected(frank);
      const connectionId = frank.connection.id;

      const disconnected = nextEvent(frank.connection, 'disconnected', { what: "frank's transport to drop" });
      await emulator.dropConnection(connectionId);
      await disconnected;
      await connected(frank);
      await within(frankChannel.whenState('attached'), { what: "frank's channel to re-attach" });
      assert.equal(frank.connection.id, connectionId, 'the connection resumed');

      await within(frankChannel.presence.update('after'), { what: 'frank updating after the drop' });
      await waitFor(() => seen.some((message) => message.data === 'after'), { what: 'the watcher to see the update' });
      assert.deepEqual(summary(seen), ['enter:frank:before', 'update:frank:after']);
      assert.deepEqual(await members(watcher), ['frank:after']);
      assert.deepEqual(await members(frankChannel), ['frank:after']);
    });
  });
}
