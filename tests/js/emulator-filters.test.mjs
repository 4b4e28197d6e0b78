/**
 * Subscription filters with ably-js: `channels.getDerived(name, {filter})` attaches to `[filter=<base64>]name` and
 * receives only the base channel's messages whose `name`/`headers` pass the JMESPath filter (ably-js's own
 * `subscribes to filtered channel`). The keys come from the sandbox, as in the SDK suites: a `[*]*` key for the
 * derived channel, since a `*` resource does not cover qualified names on Ably.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ably from 'ably';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { Inbox, uniqueName } from './support/realtime.mjs';
import { within } from './support/waiting.mjs';

const FILTER = 'name == `"wanted"` && headers.number == `26095`';

let emulator;
let keys;
before(async () => {
  emulator = await startEmulator({ flags: ['--sandbox'] });
  const response = await fetch(`${emulator.url}/apps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ keys: [{}, { capability: '{"[*]*":["*"]}' }] }),
  });
  keys = (await response.json()).keys.map((key) => key.keyStr);
});
after(async () => {
  await emulator?.stop();
});

/** A Realtime client with one of the sandbox app's keys, closed when the test ends. */
function realtime(key, format, t) {
  const made = new Ably.Realtime({ ...emulator.clientOptions(format), key });
  t.after(() => made.close());
  return made;
}

for (const format of FORMATS) {
  describe(`subscription filters (${format})`, () => {
    test('a derived channel receives only the messages its filter passes, the plain one all', async (t) => {
      const name = uniqueName(`filtered-${format}`);
      const subscriber = realtime(keys[1], format, t);
      const filtered = new Inbox(subscriber.channels.getDerived(name, { filter: FILTER }));
      const plain = new Inbox(subscriber.channels.get(name));
      await Promise.all([filtered.attached, plain.attached]);

      const channel = new Ably.Rest({ ...emulator.clientOptions(format), key: keys[0] }).channels.get(name);
      const sent = [
        { name: 'wanted', data: '1', extras: { headers: { number: 26095 } } },
        { name: 'wanted', data: '2' },
        { name: 'other', data: '3', extras: { headers: { number: 26095 } } },
        { name: 'wanted', data: '4', extras: { headers: { number: 12345 } } },
        { name: 'wanted', data: '5', extras: { headers: { number: 26095, bool: true } } },
      ];
      for (const message of sent) await within(channel.publish(message), { what: `publishing ${message.data}` });

      await plain.waitForCount(sent.length);
      await filtered.waitForCount(2);
      assert.deepEqual(
        plain.messages.map((message) => message.data),
        ['1', '2', '3', '4', '5'],
      );
      assert.deepEqual(
        filtered.messages.map((message) => message.data),
        ['1', '5'],
      );
      assert.ok(filtered.messages.every((message) => message.name === 'wanted'));
    });

    test('a key whose resources are all unqualified cannot attach a derived channel (40160)', async (t) => {
      const subscriber = realtime(keys[0], format, t);
      const derived = subscriber.channels.getDerived(uniqueName('denied'), { filter: FILTER });
      const error = await within(
        derived.attach().then(
          () => null,
          (failure) => failure,
        ),
        { what: 'the attach to be refused' },
      );
      assert.equal(error?.code, 40160);
    });
  });
}
