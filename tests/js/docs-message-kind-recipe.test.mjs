// The recipe of docs/adding-a-message-kind.md, run as the page shows it: its MESSAGE_KINDS row and its send() line
// are taken from the page itself, and the new kind goes between two peers on the emulator.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { MESSAGE_KINDS } from '../../site/p2p.session.js';
import { startEmulator } from './support/emulator.mjs';
import { appCapability, createPeer } from './support/p2p-peers.mjs';
import { uniqueName } from './support/realtime.mjs';
import { waitFor } from './support/waiting.mjs';

const PAGE = readFileSync(new URL('../../docs/adding-a-message-kind.md', import.meta.url), 'utf8');

/** An ES module made from source text, imported without a file. */
const importSource = (source) => import(`data:text/javascript,${encodeURIComponent(source)}`);

const recipe = /```js\n([\s\S]*?)```/.exec(PAGE)?.[1] ?? '';
// The block's first paragraph (after its comment line) is the row; the line starting `await session.send` sends.
const [rowPart] = recipe.split('\n\n');
const row = rowPart.split('\n').slice(1).join('\n');
const sendLine = recipe.split('\n').find((line) => line.startsWith('await session.send('));

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

test('the recipe is a row for MESSAGE_KINDS and one send() call', () => {
  assert.match(recipe, /^\/\/ site\/p2p\.session\.js: one more row in MESSAGE_KINDS\n {2}reaction: \{/);
  assert.ok(sendLine, 'a line `await session.send(...)`');
  assert.doesNotMatch(recipe, /\.ably\b|sendMessage|handlers/, 'only the public API');
});

test("the recipe's reaction kind goes from a player to everyone in the session, under the roster's name", async (t) => {
  const { default: rows } = await importSource(`export default {\n${row}\n};`);
  const { default: sendReaction } = await importSource(`export default async (session) => {\n${sendLine}\n};`);
  assert.deepEqual(Object.keys(rows), ['reaction']);
  Object.assign(MESSAGE_KINDS, rows);
  t.after(() => delete MESSAGE_KINDS.reaction);

  const sessionId = uniqueName('readme-reaction');
  const peer = (name) => {
    const clientId = `${name}-${process.pid}`;
    const created = createPeer(
      () => emulator.realtime({ clientId, capability: appCapability(sessionId, clientId) }, t),
      { sessionId, name },
    );
    t.after(() => created.close());
    return created;
  };
  const hana = await peer('Hana').start();
  const jo = await peer('Jo').start();
  await waitFor(() => [hana, jo].every((each) => each.state.status === 'acknowledged'), { what: 'both to join' });
  await waitFor(() => [hana, jo].every((each) => each.state.players.length === 2), { what: 'both in both rosters' });

  await sendReaction(jo);
  await jo.send('reaction', { emoji: '<img src=x>', name: 'Hana' }); // not one of the row's: dropped
  await sendReaction(hana);

  const expected = [
    { name: 'Jo', emoji: '🎉' },
    { name: 'Hana', emoji: '🎉' },
  ];
  for (const each of [hana, jo]) {
    await waitFor(() => each.state.reactions?.length === 2, { what: `${each.state.friendlyName} to show both` });
    assert.deepEqual(each.state.reactions, expected);
    assert.deepEqual(each.errors, []);
  }
});
