/**
 * ably-js 2.x against the emulator: publish and ACK, fan-out, echo suppression, rewind, history with
 * pagination and REST publish, in JSON and msgpack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORMATS, NO_PUBLISH_LIMITS, startEmulator } from './support/emulator.mjs';
import { Inbox, connected, sequence, uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

/** Publish `names` from `channel` one after another, each awaited (so their order is settled). */
async function publishInOrder(channel, names) {
  for (const name of names) {
    await within(channel.publish(name, { name }), { what: `the ACK for ${name}` });
  }
}

const otherFormat = (format) => FORMATS.find((candidate) => candidate !== format);

for (const format of FORMATS) {
  describe(`publish and fan-out (${format})`, () => {
    test('acknowledges publishes in order, with the serials subscribers see', async (t) => {
      const name = uniqueName(`ack-${format}`);
      const publisher = emulator.realtime({ format }, t);
      const inbox = new Inbox(emulator.realtime({ format }, t).channels.get(name));
      await Promise.all([connected(publisher), inbox.attached]);
      const names = sequence('m', 30);

      const ackOrder = [];
      const results = await within(
        Promise.all(
          names.map((messageName, index) =>
            publisher.channels
              .get(name)
              .publish(messageName, { index })
              .then((result) => {
                ackOrder.push(index);
                return result;
              }),
          ),
        ),
        { what: 'all 30 ACKs' },
      );

      assert.deepEqual(
        ackOrder,
        names.map((_, index) => index),
        'ACKs resolve in publish order',
      );
      const serials = results.map((result) => result.serials[0]);
      assert.equal(new Set(serials).size, serials.length, 'serials are unique');
      assert.deepEqual([...serials].sort(), serials, 'serials increase in publish order');
      await inbox.waitForCount(30);
      assert.deepEqual(inbox.names, names);
      assert.deepEqual(
        inbox.messages.map((message) => message.serial),
        serials,
      );
    });

    test('fans every message out to every subscriber in publish order, across formats', async (t) => {
      const name = uniqueName(`fanout-${format}`);
      const publisher = emulator.realtime({ format }, t);
      const formats = [format, format, otherFormat(format)];
      const inboxes = formats.map(
        (subscriberFormat) => new Inbox(emulator.realtime({ format: subscriberFormat }, t).channels.get(name)),
      );
      await Promise.all([connected(publisher), ...inboxes.map((inbox) => inbox.attached)]);
      const names = sequence('f', 50);
      const payload = (index) =>
        index % 3 === 0
          ? `text ${index}`
          : index % 3 === 1
            ? { index, tags: ['a', 'b'] }
            : Buffer.from([index, 0, 255]);

      const channel = publisher.channels.get(name);
      await within(Promise.all(names.map((messageName, index) => channel.publish(messageName, payload(index)))), {
        what: 'all 50 ACKs',
      });

      for (const [index, inbox] of inboxes.entries()) {
        await inbox.waitForCount(50);
        assert.deepEqual(inbox.names, names, `subscriber ${index} (${formats[index]}) got all 50 in order`);
        inbox.messages.forEach((message, messageIndex) => {
          const expected = payload(messageIndex);
          if (Buffer.isBuffer(expected)) {
            assert.ok(Buffer.from(message.data).equals(expected), `binary payload ${messageIndex} intact`);
          } else {
            assert.deepEqual(message.data, expected);
          }
        });
      }
    });

    test('does not echo a client its own messages when echoMessages is false', async (t) => {
      const name = uniqueName(`echo-${format}`);
      const quiet = new Inbox(emulator.realtime({ format, ably: { echoMessages: false } }, t).channels.get(name));
      const other = emulator.realtime({ format }, t);
      const otherInbox = new Inbox(other.channels.get(name));
      await Promise.all([quiet.attached, otherInbox.attached]);

      await quiet.channel.publish('own', 'mine');
      await other.channels.get(name).publish('theirs', 'yours');

      await quiet.waitForName('theirs');
      assert.deepEqual(quiet.names, ['theirs'], 'its own message was not echoed');
      await otherInbox.waitForCount(2);
      assert.deepEqual(otherInbox.names, ['own', 'theirs']);
    });

    test('grants the channel modes asked for, and an attachment without subscribe gets no messages', async (t) => {
      const name = uniqueName(`modes-${format}`);
      const watcher = emulator.realtime({ format }, t).channels.get(name, { modes: ['PUBLISH', 'PRESENCE_SUBSCRIBE'] });
      const received = [];
      const presence = [];
      await within(watcher.attach(), { what: 'attaching with modes' });
      watcher.subscribe((message) => received.push(message.name));
      await within(
        watcher.presence.subscribe((message) => presence.push(message.clientId)),
        { what: 'subscribing to presence' },
      );
      assert.deepEqual([...watcher.modes].sort(), ['presence_subscribe', 'publish']);

      const other = emulator.realtime({ format, clientId: 'other' }, t).channels.get(name);
      await within(other.attach(), { what: 'the other client attaching' });
      assert.deepEqual(
        [...other.modes].sort(),
        ['annotation_publish', 'presence', 'presence_subscribe', 'publish', 'subscribe'],
        "Ably's default modes",
      );
      await publishInOrder(other, ['unseen']);
      await within(other.presence.enter('seen'), { what: 'the other client entering' });

      await waitFor(() => presence.includes('other'), { what: 'the watcher to see the enter' });
      assert.deepEqual(received, [], 'no messages without the subscribe mode');
    });

    test('counts each delivery in the channel stats, as Ably bills', async (t) => {
      const name = uniqueName(`stats-${format}`);
      const publisher = emulator.realtime({ format }, t);
      const inboxes = [1, 2, 3].map(() => new Inbox(emulator.realtime({ format }, t).channels.get(name)));
      await Promise.all([connected(publisher), ...inboxes.map((inbox) => inbox.attached)]);

      await publishInOrder(publisher.channels.get(name), ['one', 'two']);
      for (const inbox of inboxes) await inbox.waitForCount(2);

      const counters = (await emulator.stats()).channels[name];
      assert.equal(counters.messages_published, 2);
      assert.equal(counters.messages_delivered, 6, 'two messages, three subscribers each');
      assert.ok(counters.bytes_out > counters.bytes_in && counters.bytes_in > 0, JSON.stringify(counters));
    });

    test('rejects a message larger than maxMessageSize without disturbing the connection', async (t) => {
      const name = uniqueName(`size-${format}`);
      const client = emulator.realtime({ format }, t);
      const inbox = new Inbox(client.channels.get(name));
      await inbox.attached;

      await assert.rejects(
        within(inbox.channel.publish('huge', 'x'.repeat(70_000)), { what: 'the size rejection' }),
        (error) => error.code === 40009,
      );
      await inbox.channel.publish('small', 'fine');
      await inbox.waitForName('small');
      assert.deepEqual(inbox.names, ['small']);
    });
  });

  describe(`rewind (${format})`, () => {
    test('rewinds a fresh attach by count, then continues live', async (t) => {
      const name = uniqueName(`rewind-count-${format}`);
      const publisher = emulator.realtime({ format }, t).channels.get(name);
      await publishInOrder(publisher, sequence('r', 5));

      const late = emulator.realtime({ format }, t).channels.get(name, { params: { rewind: '3' } });
      const inbox = new Inbox(late);
      await inbox.attached;
      await inbox.waitForCount(3);
      await publisher.publish('live', 'now');
      await inbox.waitForName('live');
      assert.deepEqual(inbox.names, ['r-2', 'r-3', 'r-4', 'live']);
    });

    test('caps a rewind at the 100 most recent messages', async (t) => {
      // 110 messages at once, more than Ably's 50 a second on a channel: the cap is under test, not the rate.
      const unlimited = await startEmulator({ flags: NO_PUBLISH_LIMITS });
      const name = uniqueName(`rewind-cap-${format}`);
      const publisher = unlimited.realtime({ format }, t).channels.get(name);
      const names = sequence('c', 110);
      await within(Promise.all(names.map((messageName) => publisher.publish(messageName, messageName))), {
        what: 'all 110 ACKs',
      });

      const inbox = new Inbox(unlimited.realtime({ format }, t).channels.get(name, { params: { rewind: '500' } }));
      t.after(() => unlimited.stop()); // after its clients close (the test's after hooks run in order)
      await inbox.attached;
      await publisher.publish('live', 'live');
      await inbox.waitForName('live');
      assert.deepEqual(inbox.names, [...names.slice(10), 'live']);
    });

    test('rewinds by time: a window covers recent messages and leaves older ones out', async (t) => {
      const name = uniqueName(`rewind-time-${format}`);
      const publisherClient = emulator.realtime({ format }, t);
      const watcher = new Inbox(publisherClient.channels.get(name));
      await watcher.attached;
      await watcher.channel.publish('old', 'old');
      const old = await watcher.waitForName('old');
      await waitFor(() => Date.now() >= old.timestamp + 1_500, { what: "'old' to be 1.5 s in the past" });
      await publishInOrder(watcher.channel, ['recent']);

      const oneSecond = new Inbox(emulator.realtime({ format }, t).channels.get(name, { params: { rewind: '1s' } }));
      const oneMinute = new Inbox(emulator.realtime({ format }, t).channels.get(name, { params: { rewind: '1m' } }));
      await Promise.all([oneSecond.attached, oneMinute.attached]);
      await watcher.channel.publish('live', 'live');

      await oneSecond.waitForName('live');
      await oneMinute.waitForName('live');
      assert.deepEqual(oneSecond.names, ['recent', 'live']);
      assert.deepEqual(oneMinute.names, ['old', 'recent', 'live']);
    });
  });

  describe(`history and REST (${format})`, () => {
    test('pages through history with Link pagination, backwards and forwards', async (t) => {
      const name = uniqueName(`history-${format}`);
      const names = sequence('h', 7);
      await publishInOrder(emulator.realtime({ format }, t).channels.get(name), names);
      const rest = emulator.rest({ format });

      const backwards = [];
      let page = await within(rest.channels.get(name).history({ limit: 3 }), { what: 'the first history page' });
      backwards.push(page.items.map((message) => message.name));
      while (page.hasNext()) {
        page = await within(page.next(), { what: 'the next history page' });
        backwards.push(page.items.map((message) => message.name));
      }
      assert.deepEqual(backwards, [['h-6', 'h-5', 'h-4'], ['h-3', 'h-2', 'h-1'], ['h-0']]);
      assert.ok(page.isLast());

      const forwardPage = await within(rest.channels.get(name).history({ limit: 4, direction: 'forwards' }), {
        what: 'the first forwards page',
      });
      assert.deepEqual(
        forwardPage.items.map((message) => message.name),
        ['h-0', 'h-1', 'h-2', 'h-3'],
      );
      const secondForward = await within(forwardPage.next(), { what: 'the second forwards page' });
      assert.deepEqual(
        secondForward.items.map((message) => message.name),
        ['h-4', 'h-5', 'h-6'],
      );
      assert.deepEqual(secondForward.items[0].data, { name: 'h-4' });
    });

    test('serves history to a realtime channel as well', async (t) => {
      const name = uniqueName(`rt-history-${format}`);
      const client = emulator.realtime({ format }, t);
      await publishInOrder(client.channels.get(name), ['a', 'b']);
      const page = await within(client.channels.get(name).history(), { what: 'realtime history' });
      assert.deepEqual(
        page.items.map((message) => message.name),
        ['b', 'a'],
      );
    });

    test('delivers a REST publish to realtime subscribers and to history', async (t) => {
      const name = uniqueName(`rest-publish-${format}`);
      const inbox = new Inbox(emulator.realtime({ format: otherFormat(format) }, t).channels.get(name));
      await inbox.attached;
      const clientId = uniqueName('rest-client');
      const rest = emulator.rest({ format, clientId });

      await within(rest.channels.get(name).publish('single', { via: 'rest' }), { what: 'the REST publish' });
      await within(
        rest.channels.get(name).publish([
          { name: 'batch-1', data: 'one' },
          { name: 'batch-2', data: Buffer.from('two') },
        ]),
        { what: 'the REST batch publish' },
      );

      await inbox.waitForCount(3);
      assert.deepEqual(inbox.names, ['single', 'batch-1', 'batch-2']);
      assert.deepEqual(inbox.messages[0].data, { via: 'rest' });
      assert.equal(inbox.messages[0].clientId, clientId);
      assert.ok(Buffer.from(inbox.messages[2].data).equals(Buffer.from('two')));
      const history = await within(rest.channels.get(name).history({ direction: 'forwards' }), { what: 'history' });
      assert.deepEqual(
        history.items.map((message) => message.name),
        ['single', 'batch-1', 'batch-2'],
      );
    });

    test('rejects a REST publish outside the token capability with 40160', async () => {
      const rest = emulator.rest({ format, capability: { [uniqueName('elsewhere')]: ['publish'] } });
      await assert.rejects(
        within(rest.channels.get(uniqueName(`rest-denied-${format}`)).publish('nope', 'x'), { what: 'the refusal' }),
        (error) => error.code === 40160 && error.statusCode === 401,
      );
    });
  });
}
