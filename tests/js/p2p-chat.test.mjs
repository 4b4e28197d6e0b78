// The `chat` kind (site/p2p.chat.js, one row of MESSAGE_KINDS) between pages on the emulator with the real ably-js:
// a line any player says shows on every page under the sender's roster name; what does not fit, a flood, and a
// client with a token that never entered presence show nothing. The exact rules are the vectors' (chat.json).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CHAT_BURST, MAX_CHAT_LENGTH } from '../../site/p2p.chat.js';
import { startEmulator } from './support/emulator.mjs';
import { sessionOn } from './support/emulator-session.mjs';
import { waitFor } from './support/waiting.mjs';

/** What a page shows of its chat: `name: text` per line. */
const shownLines = (peer) => (peer.state.chat ?? []).map(({ name, text }) => `${name}: ${text}`);

describe('chat lines on the emulator', () => {
  let emulator;

  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.stop();
  });

  /** Hana then Jo in a new session, both joined and seeing each other. */
  async function twoPlayers(t) {
    const session = sessionOn(emulator, t);
    const hana = await session.join('Hana');
    const jo = await session.join('Jo');
    for (const each of [hana, jo]) {
      await waitFor(() => each.rosterNames().join() === 'Hana,Jo', {
        what: `${each.state.friendlyName} to see Hana and Jo`,
      });
    }
    return { session, hana, jo };
  }

  /** Wait until every page shows `lines`, then check that nothing else is shown and nothing failed. */
  async function everyPageShows(peers, lines) {
    for (const each of peers) {
      await waitFor(() => shownLines(each).length >= lines.length, {
        what: `${each.state.friendlyName} to show ${lines.length} lines (shows ${shownLines(each).join(' | ')})`,
      });
      assert.deepEqual(shownLines(each), lines);
      assert.deepEqual(each.errors, []);
    }
  }

  test("a line any player says shows on every page, the sender's too, under the sender's name from the roster", async (t) => {
    const { hana, jo } = await twoPlayers(t);

    await jo.send('chat', { text: 'Hello from Jo', name: 'Hana', friendlyName: 'the host' });
    await hana.send('chat', { text: 'Welcome,\nJo' });

    await everyPageShows([hana, jo], ['Jo: Hello from Jo', 'Hana: Welcome, Jo']);
    assert.deepEqual(
      hana.state.chat.map(({ from }) => from),
      [jo.clientId(), hana.clientId()],
    );
  });

  test('a line that does not fit is dropped on every page, and what it carries that cannot be drawn is removed', async (t) => {
    const { hana, jo } = await twoPlayers(t);

    for (const text of ['x'.repeat(MAX_CHAT_LENGTH + 1), ' \n\t ', 42, null, ['hi'], { text: 'hi' }]) {
      await jo.send('chat', { text });
    }
    await jo.send('chat', {});
    await jo.send('chat', { text: '\u001b[2J\u202egnol\u202c fine' });

    await everyPageShows([hana, jo], ['Jo: [2Jgnol fine']);
  });

  test("a flood from one player shows its first lines only, and the others' lines still show", async (t) => {
    const { hana, jo } = await twoPlayers(t);

    await Promise.all(Array.from({ length: 4 * CHAT_BURST }, (_, i) => jo.send('chat', { text: `flood ${i}` })));
    await hana.send('chat', { text: 'still here' });

    for (const each of [hana, jo]) {
      await waitFor(() => shownLines(each).includes('Hana: still here'), {
        what: `Hana's line at ${each.state.friendlyName}'s`,
      });
      const flood = shownLines(each).filter((line) => line.startsWith('Jo: flood'));
      assert.equal(flood.length, CHAT_BURST, flood.join(' | '));
      assert.equal(shownLines(each).length, CHAT_BURST + 1);
    }
  });

  test('a client with a token for the session that never entered presence is nobody: its lines show nowhere', async (t) => {
    const { session, hana, jo } = await twoPlayers(t);
    const lurker = session.client('lurker-id');

    await lurker.channels.get(session.channel).publish('chat', { text: 'I am the host' });
    await jo.send('chat', { text: 'after the lurker' });

    await everyPageShows([hana, jo], ['Jo: after the lurker']);
  });
});
