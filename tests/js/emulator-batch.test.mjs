/**
 * Channel status, batch publish and presence, and token revocation through ably-js's own calls
 * (`channel.status()`, `batchPublish`, `batchPresence`, `auth.revokeTokens`) and inband occupancy
 * (`[meta]occupancy` messages), on an emulator whose key has revocable tokens (`--revocable-key`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ably from 'ably';

import { FAKE_KEY, FORMATS, startEmulator } from './support/emulator.mjs';
import { Inbox, connected, uniqueName } from './support/realtime.mjs';
import { nextEvent, waitFor, within } from './support/waiting.mjs';

const KEY_NAME = FAKE_KEY.split(':')[0];

let emulator;
before(async () => {
  emulator = await startEmulator({ flags: ['--revocable-key', KEY_NAME] });
});
after(async () => {
  await emulator?.stop();
});

for (const format of FORMATS) {
  describe(`batch, status and revocation (${format})`, () => {
    const rest = (options = {}) => new Ably.Rest({ ...emulator.clientOptions(format), key: FAKE_KEY, ...options });

    /** A Realtime client, closed when the test ends. */
    function realtime(t, options) {
      const made = new Ably.Realtime({ ...emulator.clientOptions(format), ...options });
      t.after(() => made.close());
      return made;
    }

    test('batchPublish publishes to each channel its token allows and reports the others', async () => {
      const [allowed, refused] = [uniqueName('p2p:batch'), uniqueName('other')];
      const token = await rest().auth.requestToken({ capability: { 'p2p:*': ['publish', 'history'] } });
      const results = await within(
        rest({ key: undefined, token, logLevel: 0 }).batchPublish([
          { channels: [allowed, refused], messages: [{ data: 'one' }, { data: 'two' }] },
        ]),
        { what: 'the batch publish' },
      );
      assert.deepEqual(
        results.map((result) => [result.successCount, result.failureCount]),
        [[1, 1]],
      );
      const [published, failed] = results[0].results;
      assert.ok(published.messageId);
      assert.deepEqual([failed.channel, failed.error.code, failed.error.statusCode], [refused, 40160, 401]);
      const history = await rest().channels.get(allowed).history({ direction: 'forwards' });
      assert.deepEqual(
        history.items.map((message) => message.data),
        ['one', 'two'],
      );
    });

    test('batchPresence lists each channel’s members', async (t) => {
      const [lobby, empty] = [uniqueName('lobby'), uniqueName('empty')];
      await within(realtime(t, { key: FAKE_KEY, clientId: 'alice' }).channels.get(lobby).presence.enter('hi'), {
        what: 'alice entering',
      });
      const result = await within(rest().batchPresence([lobby, empty]), { what: 'the batch presence' });
      assert.equal(result.successCount, 2);
      assert.deepEqual(
        result.results.map((each) => [each.channel, each.presence.map((member) => member.clientId)]),
        [
          [lobby, ['alice']],
          [empty, []],
        ],
      );
    });

    test('channel.status() counts the attachments and members; [meta]occupancy reports the changes', async (t) => {
      const name = uniqueName('room');
      const watcher = realtime(t, { key: FAKE_KEY }).channels.get(name, { params: { occupancy: 'metrics' } });
      const events = [];
      await within(
        watcher.subscribe('[meta]occupancy', (message) => events.push(message.data.metrics)),
        { what: 'attaching the watcher' },
      );
      await within(realtime(t, { key: FAKE_KEY, clientId: 'bob' }).channels.get(name).presence.enter(), {
        what: 'bob entering',
      });
      const details = await rest().channels.get(name).status();
      assert.equal(details.channelId, name);
      const { connections, presenceMembers, subscribers } = details.status.occupancy.metrics;
      assert.deepEqual([connections, presenceMembers, subscribers], [2, 1, 2]);
      await waitFor(() => events.length >= 2, { what: 'the occupancy change to be reported' });
      assert.deepEqual(
        events.slice(0, 2).map((metrics) => metrics.connections),
        [1, 2],
      );
    });

    test('auth.revokeTokens disconnects the revoked clientId’s connections with 40141', async (t) => {
      const clientId = uniqueName('revoked');
      const client = realtime(t, { token: await rest().auth.requestToken({ clientId }), logLevel: 0 });
      const other = realtime(t, { key: FAKE_KEY, clientId: 'other' });
      await Promise.all([connected(client), connected(other)]);
      const disconnected = nextEvent(client.connection, 'disconnected', { what: 'the revoked client to disconnect' });
      const result = await rest().auth.revokeTokens([
        { type: 'clientId', value: clientId },
        { type: 'invalidType', value: 'abc' },
      ]);
      assert.deepEqual([result.successCount, result.failureCount], [1, 1]);
      assert.equal((await disconnected).reason.code, 40141);
      assert.equal(other.connection.state, 'connected');
    });
  });
}

test('inband occupancy needs the param: a plain attachment gets no [meta]occupancy message', async (t) => {
  const name = uniqueName('plain');
  const client = new Ably.Realtime({ ...emulator.clientOptions(), key: FAKE_KEY });
  t.after(() => client.close());
  const plain = new Inbox(client.channels.get(name));
  await plain.attached;
  await client.channels.get(name).publish('after', 'x');
  await plain.waitForName('after');
  assert.deepEqual(plain.names, ['after']);
});
