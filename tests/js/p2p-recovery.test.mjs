// Sessions that survive a lost network (the host's or a guest's) and long disconnects, and late joiners that rewind
// cannot serve, with real ably-js against an emulator with short timers (presence leave after 1 s, connection state kept 1.5 s) and a
// rewind of at most 2 messages, each peer reaching it through its own proxy that can take the network away.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PHRASE } from '../../site/p2p.lib.server.js';
import { startEmulator } from './support/emulator.mjs';
import { OutageProxy } from './support/outage-proxy.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { nextEvent, waitFor, within } from './support/waiting.mjs';

const CONNECTION_STATE_TTL_SECONDS = 1.5;
const PRESENCE_LEAVE_SECONDS = 1;
const REWIND_MAX = 2;
const WORDS = PHRASE.split(' ');

describe('P2P recovery on the emulator', () => {
  let emulator;
  let clients = 0;

  before(async () => {
    emulator = await startEmulator({
      flags: [
        '--connection-state-ttl',
        String(CONNECTION_STATE_TTL_SECONDS),
        '--presence-leave-timeout',
        String(PRESENCE_LEAVE_SECONDS),
        '--rewind-max',
        String(REWIND_MAX),
      ],
    });
  });
  after(async () => {
    await emulator?.stop();
  });

  /** A peer with the app's capability, connected through its own outage proxy (`peer.proxy`). */
  async function peer(t, sessionId, name, { wordIntervalMs = 20 } = {}) {
    clients += 1;
    const clientId = `${name}-${process.pid}-${clients}`;
    const proxy = await new OutageProxy(emulator.port).start();
    const created = createPeer(
      () =>
        emulator.realtime(
          {
            clientId,
            capability: appCapability(sessionId, clientId),
            ably: { port: proxy.port, disconnectedRetryTimeout: 200, suspendedRetryTimeout: 200 },
          },
          t,
        ),
      { sessionId, name, wordIntervalMs },
    );
    created.proxy = proxy;
    t.after(async () => {
      created.close();
      await proxy.stop();
    });
    return created;
  }

  async function everyoneSees(peers, names, { timeoutMs = 10_000 } = {}) {
    for (const each of peers) {
      await waitFor(() => each.state.status === 'acknowledged' && each.rosterNames().join() === names.join(), {
        what: `${each.state.friendlyName} to be acknowledged and see ${names.join(', ')} (sees ${each.rosterNames().join(', ')}, ${each.state.status})`,
        timeoutMs,
      });
    }
  }

  test("when the host's network dies mid-stream, the next joiner hosts after the presence timeout and finishes the phrase", async (t) => {
    const session = uniqueName('crash');
    const hana = await (await peer(t, session, 'Hana', { wordIntervalMs: 100 })).start();
    const jo = await (await peer(t, session, 'Jo')).start();
    const kim = await (await peer(t, session, 'Kim')).start();
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim']);

    hana.streamWords().catch(() => {});
    await waitFor(() => kim.state.words.length >= 3, { what: 'the first words' });
    hana.proxy.cut();
    const cutAt = Date.now();

    await everyoneSees([jo, kim], ['Jo', 'Kim'], { timeoutMs: 15_000 });
    const migratedAfterMs = Date.now() - cutAt;
    assert.ok(
      migratedAfterMs >= PRESENCE_LEAVE_SECONDS * 1000 - 100,
      `the host stayed listed for the presence timeout (${migratedAfterMs} ms)`,
    );
    assert.deepEqual(
      [jo, kim].map((each) => each.state.isHost),
      [true, false],
    );
    for (const each of [jo, kim]) {
      await waitFor(() => each.state.words.length >= WORDS.length, {
        what: `${each.state.friendlyName} to have the finished phrase`,
      });
      assert.equal(each.state.receivedWords, PHRASE);
      assert.deepEqual(each.errors, []);
    }
    await waitFor(() => !jo.state.streaming, { what: 'the new host to finish streaming' });
  });

  test('a guest whose network dies stays listed until the presence timeout, then leaves every roster', async (t) => {
    const session = uniqueName('guest-lost');
    const hana = await (await peer(t, session, 'Hana')).start();
    const jo = await (await peer(t, session, 'Jo')).start();
    const kim = await (await peer(t, session, 'Kim')).start();
    await everyoneSees([hana, jo, kim], ['Hana', 'Jo', 'Kim']);

    jo.proxy.cut();
    const cutAt = Date.now();

    await everyoneSees([hana, kim], ['Hana', 'Kim'], { timeoutMs: 15_000 });
    const leftAfterMs = Date.now() - cutAt;
    assert.ok(
      leftAfterMs >= PRESENCE_LEAVE_SECONDS * 1000 - 100,
      `the guest stayed listed for the presence timeout (${leftAfterMs} ms)`,
    );
    assert.equal(hana.state.isHost, true);
    for (const each of [hana, kim]) assert.deepEqual(each.errors, []);
  });

  test('a guest away for longer than the connection TTL recovers the whole phrase, each word once', async (t) => {
    const session = uniqueName('long-disconnect');
    const hana = await (await peer(t, session, 'Hana')).start();
    const jo = await (await peer(t, session, 'Jo')).start();
    await everyoneSees([hana, jo], ['Hana', 'Jo']);
    const oldConnectionId = jo.realtime.connection.id;

    const disconnected = nextEvent(jo.realtime.connection, 'disconnected', { what: "Jo's outage to be noticed" });
    jo.proxy.cut();
    await disconnected;
    await hana.streamWords();
    await waitFor(async () => !(await emulator.connections()).some((c) => c.connectionId === oldConnectionId), {
      what: "the emulator to discard Jo's connection",
      intervalMs: 100,
    });
    const reconnected = nextEvent(jo.realtime.connection, 'connected', { what: "Jo's new connection" });
    jo.proxy.restore();
    const change = await reconnected;

    assert.equal(change.reason?.code, 80008);
    await waitFor(() => jo.resyncs.length === 1, { what: 'Jo to ask the host again' });
    await waitFor(() => jo.state.words.length >= WORDS.length && jo.state.status === 'acknowledged', {
      what: 'Jo to have the phrase',
    });
    assert.equal(jo.state.receivedWords, PHRASE);
    await everyoneSees([hana, jo], ['Hana', 'Jo']);
    assert.equal(jo.state.isHost, false);
    assert.deepEqual(jo.errors, []);
  });

  test('a bingo player away for longer than the connection TTL comes back with their card and every call missed', async (t) => {
    const session = uniqueName('bingo-away');
    const hana = await (await peer(t, session, 'Hana')).start();
    const jo = await (await peer(t, session, 'Jo')).start();
    await everyoneSees([hana, jo], ['Hana', 'Jo']);
    const host = hana.server.parts.bingo;
    await host.startRound();
    await host.setPace({ paused: true });
    await waitFor(() => jo.state.bingoCard && jo.state.bingo.phase === 'paused', { what: 'Jo to hold a card' });
    const card = jo.state.bingoCard;

    const disconnected = nextEvent(jo.realtime.connection, 'disconnected', { what: "Jo's outage to be noticed" });
    jo.proxy.cut();
    await disconnected;
    for (let calls = 0; calls < 5; calls += 1) await host.call();
    const reconnected = nextEvent(jo.realtime.connection, 'connected', {
      what: "Jo's new connection",
      timeoutMs: 15_000,
    });
    await waitFor(async () => !(await emulator.connections()).some((c) => c.clientId === jo.clientId()), {
      what: "the emulator to discard Jo's connection",
      intervalMs: 100,
    });
    jo.proxy.restore();
    await reconnected;

    await waitFor(() => jo.state.bingo.calls.length === 5, { what: 'Jo to have the five calls missed' });
    assert.deepEqual(jo.state.bingo.calls, host.round.calls);
    assert.deepEqual(jo.state.bingoCard, card);
    await everyoneSees([hana, jo], ['Hana', 'Jo']);
    assert.equal(hana.state.bingo.dealt.length, 2, 'Jo is not dealt a second card');
    assert.deepEqual(jo.errors, []);
  });

  test("a late joiner gets the words rewind no longer holds from the host's snapshot, with no gap", async (t) => {
    const session = uniqueName('late-snapshot');
    const hana = await (await peer(t, session, 'Hana')).start();
    await hana.streamWords();

    const late = await (await peer(t, session, 'Late')).start();

    await everyoneSees([hana, late], ['Hana', 'Late']);
    await waitFor(() => late.state.words.length >= WORDS.length, { what: 'the phrase from the snapshot' });
    assert.deepEqual(late.state.words, WORDS);
    const rewound = await within(late.ably.channel.history({ limit: 100 }), { what: 'the session history' });
    assert.ok(rewound.items.length > REWIND_MAX, 'the words outnumber what a rewind returns');
    const lateInbox = `p2p:${session}:inbox:${late.clientId()}`;
    const answered = await within(emulator.rest({ auth: 'key' }).channels.get(lateInbox).history(), {
      what: "the late joiner's inbox",
    });
    assert.deepEqual(
      answered.items.map(({ name, data }) => [name, data]),
      [['connection-acknowledged', { base: 0, words: WORDS }]],
    );
  });
});
