// Authenticated roles on the emulator: only the elected host's clientId (stamped by Ably) changes what peers show, a
// snapshot sent to one peer's inbox is read by that peer alone, and presence names the token's clientId. (A forger's
// host messages and its attempts to read another peer's inbox: p2p-forgery.test.mjs.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { waitFor, within } from './support/waiting.mjs';

describe('roles on the emulator', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  test('a snapshot sent to one peer is read by that peer alone', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    await hana.streamWords();
    const eavesdropped = [];
    const eavesdropper = session.client('eve');
    await within(
      eavesdropper.channels.get(session.channel).subscribe((message) => eavesdropped.push(message.name)),
      { what: 'the eavesdropper to attach' },
    );

    await session.join('Jo');
    await hana.ably.sendMessage({ kind: 'after' });
    await waitFor(() => eavesdropped.includes('after'), { what: 'the eavesdropper to get the next message' });

    const joInbox = await session.history(session.inbox('Jo-id'));
    assert.ok(joInbox.some((message) => message.name === 'connection-acknowledged'));
    assert.ok(
      !eavesdropped.includes('connection-acknowledged') && !eavesdropped.includes('connected'),
      eavesdropped.join(),
    );
  });

  test('a guest that runs its own word stream is ignored: only the elected host is heard', async (t) => {
    const { join, settled } = sessionOn(emulator, t);
    const hana = await join('Hana');
    const jo = await join('Jo');

    await jo.ably.sendMessage({ kind: 'word', index: 0, word: 'Usurper' });
    await settled([hana, jo]);

    for (const peer of [hana, jo]) assert.deepEqual(peer.state.words, []);
  });

  test('the previous host is not heard once another peer is elected', async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const jo = await session.join('Jo');
    const kim = await session.join('Kim');
    hana.close();
    await waitFor(() => jo.state.isHost && kim.state.hostClientId === 'Jo-id', { what: 'Jo to host' });
    const stale = session.client('Hana-id');

    await within(stale.channels.get(session.channel).publish('word', { index: 0, word: 'Stale' }), {
      what: "the old host's word",
    });
    await session.settled([jo, kim]);

    for (const peer of [jo, kim]) assert.deepEqual(peer.state.words, []);
  });

  test("a presence member cannot claim another clientId: Ably stamps the token's", async (t) => {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const forger = session.client('mallory');

    await within(forger.channels.get(session.channel).presence.enter({ friendlyName: 'Hana', clientId: 'Hana-id' }), {
      what: 'the forger to enter',
    });
    await waitFor(() => hana.state.players.length === 2, { what: 'Hana to list the forger' });

    assert.deepEqual(
      hana.state.players.map((player) => `${player.clientId}:${player.friendlyName}`),
      ['Hana-id:Hana', 'mallory:Hana'],
    );
    assert.equal(hana.state.hostClientId, 'Hana-id');
  });
});
