// A hostile player with a valid token for the session, on the emulator, publishing what ably-js acts on before
// the app sees it: encodings ably-js cannot or must not apply (vcdiff failed every receiving channel with 40019),
// `extras.delta` (a re-attach per message, 40018), extras, ids and names of every shape, and presence members
// whose data does not decode. Every peer keeps its channels attached, keeps streaming, logs no error (in a page,
// ably-js logs to the console), and a newcomer within the rewind window (which replays all of it) joins. Also: the
// ably-js internal the guard relies on. (The rule's vectors run in protocol-vectors.test.mjs.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ably from 'ably';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { NO_PUBLISH_LIMITS, startEmulator } from './support/emulator.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor, within } from './support/waiting.mjs';

test('ably-js 2.28 channels process every channel message in processMessage, which the guard takes over', () => {
  const realtime = new Ably.Realtime({ key: 'app.key:secret', autoConnect: false });
  const channel = realtime.channels.get('p2p:pin');
  // If ably-js renames or stops calling it, the guard silently installs nothing: the emulator tests below then fail.
  assert.equal(typeof channel.processMessage, 'function');
  assert.equal(Object.hasOwn(channel, 'processMessage'), false, 'a prototype method the guard can shadow');
  realtime.close();
});

const TWO_PHRASES = `${PHRASE} ${PHRASE}`;

describe('a hostile player on the emulator', () => {
  let emulator;
  let clients = 0;

  before(async () => {
    // The hostile player sends each payload to each channel back to back (150 and more a test): what it sends is
    // under test here, not how fast (the flood of p2p-hostile.test.mjs runs at Ably's publish limits).
    emulator = await startEmulator({ flags: NO_PUBLISH_LIMITS });
  });
  after(async () => {
    await emulator?.stop();
  });

  function clientIdFor(name) {
    clients += 1;
    return `${name}-${process.pid}-${clients}`;
  }

  function realtimeFor(t, sessionId, clientId, ably = {}) {
    return emulator.realtime({ clientId, capability: appCapability(sessionId, clientId), ably }, t);
  }

  /** A peer that records what ably-js logs as errors, and every state change of its two channels once joined. */
  async function join(t, sessionId, name) {
    const clientId = clientIdFor(name);
    const ablyErrors = [];
    const ably = { logLevel: 1, logHandler: (line) => ablyErrors.push(line) };
    const peer = createPeer(() => realtimeFor(t, sessionId, clientId, ably), { sessionId, name, wordIntervalMs: 10 });
    peer.ablyErrors = ablyErrors;
    t.after(() => peer.close());
    await within(peer.start(), { what: `${name} joining` });
    peer.channelChanges = [];
    for (const channel of [peer.ably.channel, peer.ably.inbox]) {
      channel.on((change) => peer.channelChanges.push(`${channel.name}: ${change.current} ${change.reason?.code}`));
    }
    return peer;
  }

  /** Hana hosts and has streamed the phrase to Jo; Mallory has her own client with a valid token. */
  async function session(t) {
    const sessionId = uniqueName('hostile');
    const hana = await join(t, sessionId, 'Hana');
    const jo = await join(t, sessionId, 'Jo');
    await hana.streamWords();
    await waitFor(() => jo.state.status === 'acknowledged' && jo.state.receivedWords === PHRASE, {
      what: 'Jo to show the phrase',
    });
    const mallory = realtimeFor(t, sessionId, clientIdFor('Mallory'));
    const channel = (name) => mallory.channels.get(name);
    return {
      sessionId,
      hana,
      jo,
      mallory,
      sessionChannel: channel(`p2p:${sessionId}`),
      inboxOf: (peer) => channel(`p2p:${sessionId}:inbox:${peer.clientId()}`),
    };
  }

  /**
   * Hana streams the phrase again (after everything Mallory published was accepted, so every peer has processed
   * it first); both show it twice, kept their channels attached throughout, and reported no error. Then Kai joins
   * within the rewind window, which replays all of it, and is answered by the host.
   */
  async function assertTheSessionCarriesOn(t, { sessionId, hana, jo }) {
    await within(hana.streamWords(), { what: 'the second stream' });
    await waitFor(() => jo.state.receivedWords === TWO_PHRASES, { what: 'Jo to show the second phrase' });
    const kai = await join(t, sessionId, 'Kai');
    await waitFor(() => kai.state.status === 'acknowledged' && kai.state.receivedWords === TWO_PHRASES, {
      what:
        "Kai, a newcomer, to be answered by the host and show both phrases (he shows '" +
        `${kai.state.receivedWords}', ${kai.state.status})`,
    });
    for (const peer of [hana, jo, kai]) {
      assert.deepEqual(peer.channelChanges, [], `${peer.state.friendlyName}'s channels left 'attached'`);
      assert.deepEqual(peer.ablyErrors, [], `ably-js logged errors at ${peer.state.friendlyName}'s`);
      assert.deepEqual(peer.errors, []);
      assert.equal(peer.state.hostClientId, hana.clientId());
      assert.ok(!JSON.stringify(peer.state).includes('FORGED'));
    }
    assert.equal(hana.state.receivedWords, TWO_PHRASES);
    return kai;
  }

  const published = (channel, message) => within(channel.publish(message), { what: `publishing ${message.name}` });

  test('a vcdiff-encoded message on the session channel fails no channel: everyone streams, a newcomer joins', async (t) => {
    const world = await session(t);

    await published(world.sessionChannel, { name: 'word', data: 'AAAA', encoding: 'vcdiff' });

    await assertTheSessionCarriesOn(t, world);
  });

  test("vcdiff-encoded messages in the host's and a guest's inbox leave both answering and receiving", async (t) => {
    const world = await session(t);

    for (const peer of [world.hana, world.jo]) {
      await published(world.inboxOf(peer), { name: 'connected', data: 'AAAA', encoding: 'vcdiff' });
      await published(world.inboxOf(peer), { name: 'connection-acknowledged', data: 'AAAA', encoding: 'json/vcdiff' });
    }

    await assertTheSessionCarriesOn(t, world);
  });

  test('messages with extras.delta make no peer re-attach, on the session channel or in an inbox', async (t) => {
    const world = await session(t);
    const delta = { delta: { from: 'nothing-before:0:0', format: 'vcdiff' } };

    for (const channel of [world.sessionChannel, world.inboxOf(world.hana), world.inboxOf(world.jo)]) {
      for (let i = 0; i < 3; i += 1)
        await published(channel, { name: 'word', data: { index: 99, word: 'FORGED' }, extras: delta });
    }

    await assertTheSessionCarriesOn(t, world);
  });

  test('every other encoding, extras of every shape, and borrowed or future ids change nothing anywhere', async (t) => {
    const world = await session(t);
    const hanaConnection = world.hana.ably.connectionId;
    const hostile = [
      { name: 'word', data: 'AAAA', encoding: 'cipher+aes-128-cbc/base64' },
      { name: 'word', data: '{"index":18,"word":"FORGED"}', encoding: 'rot13' },
      { name: 'word', data: 'e30=', encoding: 'json/base64/json' },
      { name: 'word', data: 'eyJpbmRleCI6MTgsIndvcmQiOiJGT1JHRUQifQ==', encoding: 'json/base64' },
      { name: 'word', data: '{"index":18,"word":"FORGED"}', encoding: 'utf-8' },
      { name: 'word', data: '{bad', encoding: 'json' },
      { name: 'word', data: '"FORGED"', encoding: 'json' },
      { name: 'word', data: { index: 18, word: 'FORGED' }, extras: 'delta' },
      { name: 'word', data: { index: 18, word: 'FORGED' }, extras: [5] },
      { name: 'word', data: { index: 18, word: 'FORGED' }, extras: { headers: { big: 'x'.repeat(40_000) } } },
      { name: '__proto__', data: { index: 18, word: 'FORGED' } },
      { name: 'word', data: { index: 18, word: 'FORGED' }, id: `${hanaConnection}:0:0` },
      // The ids the host's next messages would get if Ably numbered them as the emulator does.
      ...Array.from({ length: 40 }, (_, n) => ({
        name: 'word',
        data: { index: 18 + n, word: 'FORGED' },
        id: `${hanaConnection}:${n}:0`,
      })),
    ];

    for (const channel of [world.sessionChannel, world.inboxOf(world.hana), world.inboxOf(world.jo)]) {
      for (const message of hostile) await published(channel, message);
    }

    await assertTheSessionCarriesOn(t, world);
  });

  test('presence members whose data does not decode show as Anonymous, and a newcomer reads the roster', async (t) => {
    const world = await session(t);
    const members = [
      { data: '{bad', encoding: 'json' },
      { data: 'AAAA', encoding: 'vcdiff' },
      { data: '{"friendlyName":"x"}', encoding: 'json', extras: { delta: { from: 'x' } } },
    ];
    for (const [i, member] of members.entries()) {
      const forger = realtimeFor(t, world.sessionId, clientIdFor(`Forger${i}`));
      await within(
        forger.channels.get(`p2p:${world.sessionId}`).presence.enter(Ably.Realtime.PresenceMessage.fromValues(member)),
        {
          what: 'a hostile presence enter',
        },
      );
    }

    const kai = await assertTheSessionCarriesOn(t, world);

    for (const peer of [world.hana, world.jo, kai]) {
      assert.deepEqual(peer.rosterNames(), ['Hana', 'Jo', 'Anonymous', 'Anonymous', 'x', 'Kai']);
    }
  });
});
