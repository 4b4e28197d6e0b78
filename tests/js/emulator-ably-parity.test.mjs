/**
 * Behaviours where the emulator once differed from Ably, seen through ably-js 2.x as the official suite sees
 * them (issue 8; the test each case mirrors is named). Each runs in JSON and msgpack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORMATS, startEmulator } from './support/emulator.mjs';
import { Inbox, connected, uniqueName } from './support/realtime.mjs';
import { nextEvent, within } from './support/waiting.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

for (const format of FORMATS) {
  describe(`ably-js sees Ably's answers (${format})`, () => {
    test('a token string that is not a token fails the connection with 40101 (auth_with_invalid_token)', async (t) => {
      const client = emulator.realtime({ format, auth: 'none', ably: { token: 'not-a-token' } }, t);
      const change = await nextEvent(client.connection, 'failed', { what: 'the connection to fail' });
      assert.equal(change.reason.code, 40101);
    });

    test('an invalid channel name fails that channel with 40010 only (channelattachinvalid)', async (t) => {
      const client = emulator.realtime({ format }, t);
      await connected(client);
      await assert.rejects(
        within(client.channels.get(':hell').attach(), { what: 'the attach to fail' }),
        (error) => error.code === 40010,
      );
      assert.equal(client.connection.state, 'connected');
    });

    test('the modes param is echoed and enforced (attachWithChannelParamsBasicChannelsGet)', async (t) => {
      const params = { modes: 'subscribe', delta: 'vcdiff' };
      const channel = emulator.realtime({ format }, t).channels.get(uniqueName('modes'), { params });
      await within(channel.attach(), { what: 'the attach' });
      assert.deepEqual(channel.params, params);
      assert.deepEqual(channel.modes, ['subscribe']);
      await assert.rejects(within(channel.publish('nope', 'x'), { what: 'the NACK' }), (error) => error.code === 40165);
    });

    test('a numeric rewind param rewinds, and ATTACH_RESUME does not (resume_rewind_1)', async (t) => {
      const name = uniqueName('rewind');
      await within(emulator.realtime({ format }, t).channels.get(name).publish('old', 'x'), { what: 'the publish' });
      const inbox = new Inbox(emulator.realtime({ format }, t).channels.get(name, { params: { rewind: 1 } }));
      await inbox.attached;
      assert.deepEqual(
        (await inbox.waitForCount(1)).map((message) => message.name),
        ['old'],
      );
    });

    test('recovering with a malformed key gives a new connection and 80018 (unrecoverableConnection)', async (t) => {
      const recover = JSON.stringify({
        connectionKey: '_____!ablyjs_test_fake-key____',
        msgSerial: 3,
        channelSerials: {},
      });
      const client = emulator.realtime({ format, ably: { recover } }, t);
      const change = await nextEvent(client.connection, 'connected', { what: 'the connection' });
      assert.equal(change.reason?.code, 80018);
    });

    test('a REST publish with a connectionKey is published as that connection (TM2h)', async (t) => {
      const realtime = emulator.realtime({ format }, t);
      const name = uniqueName('on-behalf');
      const inbox = new Inbox(realtime.channels.get(name));
      await inbox.attached;
      const rest = emulator.rest({ format });
      await within(
        rest.channels.get(name).publish({ name: 'foo', data: 'bar', connectionKey: realtime.connection.key }),
        {
          what: 'the REST publish',
        },
      );
      const [message] = await inbox.waitForCount(1);
      assert.equal(message.connectionId, realtime.connection.id);
    });

    test('a REST path with another method is not found (request_404)', async () => {
      const rest = emulator.rest({ format });
      const response = await within(rest.request('get', '/keys/ablyjs.test/requestToken', 3, null, null, null), {
        what: 'the request',
      });
      assert.deepEqual([response.statusCode, response.errorCode], [404, 40400]);
    });
  });
}
