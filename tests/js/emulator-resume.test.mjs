/**
 * ably-js 2.x against the emulator: a transport dropped mid-stream resumes the same connection with nothing
 * lost and nothing duplicated, whichever side it was on, in JSON and msgpack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORMATS, NO_PUBLISH_LIMITS, startEmulator } from './support/emulator.mjs';
import { Inbox, connected, sequence, uniqueName } from './support/realtime.mjs';
import { nextEvent, within } from './support/waiting.mjs';

let emulator;
before(async () => {
  // Streams of 200 publishes as fast as they are ACKed, so that some are in flight at the drop: the drop is under
  // test here, not the publish rate (that is tests/emulator/test_rate_limits.py).
  emulator = await startEmulator({ flags: NO_PUBLISH_LIMITS });
});
after(async () => {
  await emulator?.stop();
});

/** Drop `client`'s transport through the emulator and wait until it is connected again. */
async function dropAndResume(client) {
  const connectionId = client.connection.id;
  const disconnected = nextEvent(client.connection, 'disconnected', { what: 'the transport to drop' });
  await emulator.dropConnection(connectionId);
  await disconnected;
  await connected(client);
  return connectionId;
}

for (const format of FORMATS) {
  describe(`resume after a dropped transport (${format})`, () => {
    test('a subscriber dropped mid-stream resumes its connection and misses and repeats nothing', async (t) => {
      const name = uniqueName(`drop-sub-${format}`);
      const publisher = emulator.realtime({ format }, t).channels.get(name);
      const subscriber = emulator.realtime({ format }, t);
      const inbox = new Inbox(subscriber.channels.get(name));
      await Promise.all([connected(publisher.client), inbox.attached]);
      const names = sequence('s', 200);

      const firstHalf = names.slice(0, 100).map((messageName) => publisher.publish(messageName, messageName));
      await inbox.waitForCount(20);
      const connectionId = subscriber.connection.id;
      const receivedBeforeDrop = inbox.messages.length;
      const disconnected = nextEvent(subscriber.connection, 'disconnected', { what: 'the subscriber to drop' });
      await emulator.dropConnection(connectionId);
      await disconnected;
      const secondHalf = names.slice(100).map((messageName) => publisher.publish(messageName, messageName));
      await within(Promise.all([...firstHalf, ...secondHalf]), { what: 'all 200 ACKs' });
      await connected(subscriber);
      await publisher.publish('end', 'end');
      await inbox.waitForName('end');

      assert.ok(receivedBeforeDrop < names.length, 'the transport dropped while messages were still coming');
      assert.equal(subscriber.connection.id, connectionId, 'the same connection resumed');
      assert.deepEqual(inbox.names, [...names, 'end']);
    });

    test('a publisher dropped mid-stream has each un-ACKed publish delivered exactly once', async (t) => {
      const name = uniqueName(`drop-pub-${format}`);
      const publisherClient = emulator.realtime({ format }, t);
      const publisher = publisherClient.channels.get(name);
      const inbox = new Inbox(emulator.realtime({ format }, t).channels.get(name));
      await Promise.all([connected(publisherClient), inbox.attached]);
      const names = sequence('p', 200);

      const acks = names.map((messageName) => publisher.publish(messageName, messageName));
      await inbox.waitForCount(10);
      const connectionId = await dropAndResume(publisherClient);
      const results = await within(Promise.all(acks), { what: 'all 200 publishes to be ACKed' });
      await publisher.publish('end', 'end');
      await inbox.waitForName('end');

      assert.equal(publisherClient.connection.id, connectionId, 'the same connection resumed');
      assert.deepEqual(inbox.names, [...names, 'end']);
      assert.deepEqual(
        results.map((result) => result.serials[0]),
        inbox.messages.slice(0, 200).map((message) => message.serial),
        'each ACK carries the serial of the one delivered copy',
      );
    });

    test('what a client publishes while its transport is down is delivered once after it resumes', async (t) => {
      const name = uniqueName(`offline-pub-${format}`);
      const client = emulator.realtime({ format }, t);
      const channel = client.channels.get(name);
      const inbox = new Inbox(emulator.realtime({ format }, t).channels.get(name));
      const ownInbox = new Inbox(channel);
      await Promise.all([inbox.attached, ownInbox.attached]);
      const connectionId = client.connection.id;
      const offline = sequence('offline', 5);

      const published = new Promise((resolve, reject) => {
        client.connection.once('disconnected', () => {
          Promise.all(offline.map((messageName) => channel.publish(messageName, messageName))).then(resolve, reject);
        });
      });
      await emulator.dropConnection(connectionId);
      await within(published, { what: 'the offline publishes to be ACKed' });
      await channel.publish('end', 'end');
      await inbox.waitForName('end');
      await ownInbox.waitForName('end');

      assert.equal(client.connection.id, connectionId);
      assert.deepEqual(inbox.names, [...offline, 'end']);
      assert.deepEqual(ownInbox.names, [...offline, 'end'], 'the publisher gets its own echo exactly once too');
    });

    test('messages published to a channel while a subscriber was away are replayed in order', async (t) => {
      const name = uniqueName(`missed-${format}`);
      const subscriber = emulator.realtime({ format }, t);
      const inbox = new Inbox(subscriber.channels.get(name));
      const publisher = emulator.realtime({ format }, t).channels.get(name);
      await inbox.attached;
      await publisher.publish('before', 'before');
      await inbox.waitForName('before');

      const missed = sequence('missed', 3);
      const published = new Promise((resolve, reject) => {
        subscriber.connection.once('disconnected', () => {
          Promise.all(missed.map((messageName) => publisher.publish(messageName, messageName))).then(resolve, reject);
        });
      });
      await emulator.dropConnection(subscriber.connection.id);
      await within(published, { what: 'the publishes made while the subscriber was away' });
      await connected(subscriber);
      await publisher.publish('end', 'end');
      await inbox.waitForName('end');
      assert.deepEqual(inbox.names, ['before', ...missed, 'end']);
    });
  });
}
