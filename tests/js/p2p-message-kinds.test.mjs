// The session's one table of message kinds (MESSAGE_KINDS in site/p2p.session.js) and its public send(), between
// peers on the emulator: who may send each kind, on which channel, and that only the table's own rows are kinds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { P2PSession, MESSAGE_KINDS, messageKind } from '../../site/p2p.session.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { waitFor } from './support/waiting.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

/** Every name an object inherits from Object.prototype: `__proto__`, `__defineGetter__`, `constructor`, ... */
const INHERITED_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** What a page shows of a peer, as plain data. */
const shown = (peer) => JSON.parse(JSON.stringify(peer.state));

/** Add `rows` to MESSAGE_KINDS for one test. */
function withKinds(t, rows) {
  Object.assign(MESSAGE_KINDS, rows);
  t.after(() => {
    for (const kind of Object.keys(rows)) delete MESSAGE_KINDS[kind];
  });
}

/** A row that records what this process's sessions receive of its kind, by receiving session. */
function recordingRow(sender, channel) {
  const received = new Map();
  return {
    received: (peer) => received.get(peer) ?? [],
    row: {
      sender,
      channel,
      handle(session, message) {
        received.set(session, [...(received.get(session) ?? []), message]);
      },
    },
  };
}

test('the table names who sends each built-in kind and where, as docs/protocol.md does', () => {
  const rows = Object.fromEntries(
    Object.entries(MESSAGE_KINDS).map(([kind, { sender, channel }]) => [kind, `${sender} ${channel}`]),
  );
  assert.deepEqual(rows, {
    connected: 'anyone inbox',
    'connection-acknowledged': 'host inbox',
    word: 'host session',
    chat: 'anyone session',
    'bingo-round': 'host session',
    'bingo-dealt': 'host session',
    'bingo-card': 'host inbox',
    'bingo-call': 'host session',
    'bingo-pace': 'host session',
    'bingo-claim': 'anyone inbox',
    'bingo-winner': 'host session',
    'bingo-refused': 'host inbox',
  });
  const protocol = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  for (const kind of Object.keys(MESSAGE_KINDS)) assert.match(protocol, new RegExp(`^\\| \`${kind}\` \\|`, 'm'));
});

test('no name inherited from Object.prototype is a message kind', () => {
  assert.ok(INHERITED_NAMES.includes('__proto__') && INHERITED_NAMES.includes('__defineGetter__'));
  for (const name of INHERITED_NAMES) assert.equal(messageKind(name), null, name);
  assert.equal(Object.getPrototypeOf(MESSAGE_KINDS), null);
});

test('kinds named like Object.prototype members, sent by a peer to everyone and to the host, are ignored without an error', async (t) => {
  const { join, settled } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');
  const before = [shown(hana), shown(jo)];

  for (const kind of INHERITED_NAMES) {
    await jo.ably.sendMessage({ kind, text: 'x' });
    await jo.ably.sendMessage({ kind, text: 'x' }, hana.clientId());
  }
  await settled([hana, jo]);

  assert.deepEqual(hana.errors, []);
  assert.deepEqual(jo.errors, []);
  assert.deepEqual([shown(hana), shown(jo)], before);
});

test('kinds named like Object.prototype members, sent by the host to everyone and to a peer, are ignored without an error', async (t) => {
  const { join, settled } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');
  assert.equal(hana.state.isHost, true);
  const before = [shown(hana), shown(jo)];

  for (const kind of INHERITED_NAMES) {
    await hana.ably.sendMessage({ kind, base: 0, words: ['x'] });
    await hana.ably.sendMessage({ kind, base: 0, words: ['x'] }, jo.clientId());
  }
  await settled([hana, jo]);

  assert.deepEqual(hana.errors, []);
  assert.deepEqual(jo.errors, []);
  assert.deepEqual([shown(hana), shown(jo)], before);
});

test('send refuses a kind the table does not have, inherited names included, and publishes nothing', async (t) => {
  const { join, history, channel } = sessionOn(emulator, t);
  const hana = await join('Hana');

  for (const kind of ['greeting', ...INHERITED_NAMES]) {
    await assert.rejects(hana.send(kind, {}), /Unknown message kind/, kind);
  }
  assert.deepEqual(await history(channel), []);
});

test("an anyone-to-everyone kind goes from any player to every player, the sender included, with Ably's from", async (t) => {
  const { received, row } = recordingRow('anyone', 'session');
  withKinds(t, { cheer: row });
  const { join } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');

  await jo.send('cheer', { loud: true });

  for (const peer of [hana, jo]) {
    await waitFor(() => received(peer).length, { what: `${peer.state.friendlyName} to get the cheer` });
    assert.deepEqual(received(peer), [{ loud: true, kind: 'cheer', from: 'Jo-id', via: 'session' }]);
  }
  await assert.rejects(jo.send('cheer', {}, { to: 'Hana-id' }), /goes to everyone/);
});

test("an inbox kind goes to the one player named by `to`, e.g. the host's inbox", async (t) => {
  const { received, row } = recordingRow('anyone', 'inbox');
  withKinds(t, { buzz: row });
  const { join, settled } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');
  const kim = await join('Kim');

  await kim.send('buzz', {}, { to: kim.state.hostClientId });
  await settled([hana, jo, kim]);

  assert.deepEqual(received(hana), [{ kind: 'buzz', from: 'Kim-id', via: 'inbox' }]);
  assert.deepEqual([received(jo), received(kim)], [[], []]);
  await assert.rejects(kim.send('buzz', {}), /pass \{ to: clientId \}/);
});

test('a host kind is sent by the host alone, and receivers drop one published by anyone else', async (t) => {
  const { received, row } = recordingRow('host', 'session');
  withKinds(t, { 'round-started': row });
  const { join } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');

  await assert.rejects(jo.send('round-started', { round: 1 }), /Only the host can send round-started/);
  await jo.ably.sendMessage({ kind: 'round-started', round: 1 });
  await hana.send('round-started', { round: 2 });

  // Jo's was accepted first, so it reached each page before Hana's.
  for (const peer of [hana, jo]) {
    await waitFor(() => received(peer).length, { what: `${peer.state.friendlyName} to get round 2` });
    assert.deepEqual(received(peer), [{ round: 2, kind: 'round-started', from: 'Hana-id', via: 'session' }]);
  }
  assert.deepEqual([hana.errors, jo.errors], [[], []]);
});

test('a message on the other channel than its row says is dropped', async (t) => {
  const { received, row } = recordingRow('anyone', 'session');
  withKinds(t, { cheer: row });
  const { join, settled } = sessionOn(emulator, t);
  const hana = await join('Hana');
  const jo = await join('Jo');

  await jo.ably.sendMessage({ kind: 'cheer' }, hana.clientId());
  await settled([hana]);

  assert.deepEqual(received(hana), []);
});

test("a handler's failure is the receiving session's error event, naming the kind", async (t) => {
  withKinds(t, {
    fragile: {
      sender: 'anyone',
      channel: 'session',
      handle: async () => {
        throw new Error('broken handler');
      },
    },
  });
  const { join } = sessionOn(emulator, t);
  const hana = await join('Hana');

  await hana.send('fragile');
  await waitFor(() => hana.errors.length, { what: "Hana's handler to fail" });

  assert.deepEqual(
    hana.errors.map(({ summary, error }) => [summary, error.message]),
    [['Could not handle a "fragile" message.', 'broken handler']],
  );
});

test('a session that has not started cannot send', async () => {
  const session = new P2PSession({ sessionId: 'room1', createRealtime: () => null });
  await assert.rejects(session.send('connected', {}, { to: 'someone' }), /not connected/);
});
