// Bingo between peers on the emulator, with the real ably-js: the host deals each player a card on its inbox and
// publishes only digests, calls numbers every page mirrors, judges claims; the next host goes on with the same round;
// a late joiner is dealt in; forged host messages and forged claims change nothing (site/bingo/, docs/protocol.md).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { cardDigest, completeLine, newCard, newSalt } from '../../site/bingo/rules.js';
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

const name = (peer) => peer.state.friendlyName;
const bingoHost = (peer) => peer.server.parts.bingo;
/** The round as a page shows it, as plain data. */
const round = (peer) => JSON.parse(JSON.stringify(peer.state.bingo));

/** The host starts a round, paused at once so that the test calls the numbers; every page holds its card. */
async function startPausedRound(host, players) {
  await bingoHost(host).startRound();
  await bingoHost(host).setPace({ paused: true });
  for (const peer of players) {
    await waitFor(() => peer.state.bingoCard && peer.state.bingo?.phase === 'paused', {
      what: `${name(peer)} to hold a card of the paused round`,
    });
  }
}

/** The host calls numbers until `player`'s card has a line; every page has every call. */
async function callUntilLine(host, player, peers) {
  const { card } = player.state.bingoCard;
  while (!completeLine(card, bingoHost(host).round.calls)) await bingoHost(host).call();
  await everyoneHasTheCalls(host, peers);
}

async function everyoneHasTheCalls(host, peers) {
  const calls = JSON.stringify(bingoHost(host).round.calls);
  for (const peer of peers) {
    await waitFor(() => JSON.stringify(peer.state.bingo.calls) === calls, { what: `${name(peer)} to have ${calls}` });
  }
}

async function everyoneSeesTheWinner(peers, winner) {
  for (const peer of peers) {
    await waitFor(() => peer.state.bingo.winner?.player === winner.clientId(), {
      what: `${name(peer)} to see ${name(winner)} win`,
    });
  }
}

test('a round deals every player a card on its own inbox alone, and every page mirrors the same digests', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  const peers = [hana, jo, kim];

  await startPausedRound(hana, peers);

  for (const peer of peers) {
    assert.deepEqual(round(peer), round(hana));
    const { round: number, card, salt } = peer.state.bingoCard;
    const digest = cardDigest(number, peer.clientId(), salt, card);
    assert.deepEqual(
      peer.state.bingo.dealt.find(([player]) => player === peer.clientId()),
      [peer.clientId(), digest],
    );
  }
  assert.deepEqual(
    round(hana).dealt.map(([player]) => player),
    ['Hana-id', 'Jo-id', 'Kim-id'],
  );
  const onTheSessionChannel = (await session.history(session.channel)).map((message) => message.name);
  assert.ok(!onTheSessionChannel.includes('bingo-card'), 'no card goes to everyone');
  for (const peer of peers) {
    const cards = (await session.history(session.inbox(peer.clientId()))).filter((m) => m.name === 'bingo-card');
    assert.deepEqual(
      cards.map((message) => message.data.card),
      [peer.state.bingoCard.card],
    );
  }
  for (const peer of peers) assert.deepEqual(peer.errors, []);
});

test('calls reach every page in order; a claim with a line wins on every page, one without is refused', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  const peers = [hana, jo, kim];
  await startPausedRound(hana, peers);
  await bingoHost(hana).call();
  await everyoneHasTheCalls(hana, peers);

  await kim.mirrors.bingo.claim();
  await waitFor(() => kim.state.bingoRefused, { what: "Kim's claim to be refused" });
  assert.equal(kim.state.bingoRefused, 'not-a-line');

  await callUntilLine(hana, jo, peers);
  await jo.mirrors.bingo.claim();

  await everyoneSeesTheWinner(peers, jo);
  for (const peer of peers) {
    assert.equal(peer.state.bingo.phase, 'won');
    assert.deepEqual(peer.state.bingo.winner.card, jo.state.bingoCard.card);
    assert.deepEqual(peer.state.bingo.winner.line, completeLine(jo.state.bingoCard.card, peer.state.bingo.calls));
  }
  const calls = (await session.history(session.channel)).filter((m) => m.name === 'bingo-call').map((m) => m.data);
  assert.deepEqual(
    calls.map((call) => call.index),
    [...calls.keys()],
  );
  assert.equal(new Set(calls.map((call) => call.number)).size, calls.length, 'no number called twice');

  await bingoHost(hana).startRound();
  for (const peer of peers) {
    await waitFor(() => peer.state.bingo.round === 2 && peer.state.bingoCard?.round === 2, {
      what: `${name(peer)} to hold a card of round 2`,
    });
    assert.deepEqual([peer.state.bingo.winner, peer.state.bingo.calls], [null, []]);
  }
  for (const peer of peers) assert.deepEqual(peer.errors, []);
});

test('when the host leaves mid-round, the next host goes on with the same round and judges the claim left waiting', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  await startPausedRound(hana, [hana, jo, kim]);
  await callUntilLine(hana, kim, [hana, jo, kim]);
  const before = round(kim);

  hana.close();
  await waitFor(() => jo.state.isHost && kim.state.hostClientId === 'Jo-id', { what: 'Jo to host' });
  assert.deepEqual(round(jo), before, 'the same round, cards and calls');
  await kim.mirrors.bingo.claim();

  await everyoneSeesTheWinner([jo, kim], kim);
  await bingoHost(jo).startRound();
  await waitFor(() => kim.state.bingo.round === 2, { what: 'round 2 under Jo' });
  await bingoHost(jo).setPace({ paceMs: 250, paused: false });
  await waitFor(() => kim.state.bingo.calls.length >= 2, { what: 'Jo to call numbers at the pace set' });
  for (const peer of [jo, kim]) assert.deepEqual(peer.errors, []);
});

test('a claim sent to a host that leaves before judging it is sent again to the next host', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  await startPausedRound(hana, [hana, jo, kim]);
  await callUntilLine(hana, kim, [hana, jo, kim]);
  bingoHost(hana).stop(); // a host that hears the claim but never answers, then leaves

  await kim.mirrors.bingo.claim();
  hana.close();

  await everyoneSeesTheWinner([jo, kim], kim);
});

test('a player who joins mid-round is dealt a card, and gets the calls so far', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  await startPausedRound(hana, [hana, jo]);
  await bingoHost(hana).call();

  const lee = await session.join('Lee');

  await waitFor(() => lee.state.bingoCard, { what: 'Lee to hold a card' });
  for (const peer of [hana, jo, lee]) {
    await waitFor(() => peer.state.bingo.dealt.length === 3, { what: `${name(peer)} to know Lee's digest` });
  }
  assert.deepEqual(round(lee), round(hana));
  assert.equal(lee.state.bingo.calls.length, 1);
});

test("forged host messages, and claims with someone else's card or a made-up one, change nothing", async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  const peers = [hana, jo, kim];
  await startPausedRound(hana, peers);
  await callUntilLine(hana, jo, peers);
  const before = round(jo);
  const { round: number, card, salt } = jo.state.bingoCard;

  // Kim, not the host, publishes host kinds; then claims with Jo's card, and with a card of her own making.
  await kim.ably.sendMessage({ kind: 'bingo-call', round: number, index: before.calls.length, number: 75 });
  await kim.ably.sendMessage({ kind: 'bingo-round', round: 9, paceMs: 250, dealt: [] });
  await kim.ably.sendMessage({ kind: 'bingo-winner', round: number, player: 'Jo-id', card, salt, line: [] });
  await kim.ably.sendMessage({ kind: 'bingo-card', round: number, card: newCard(), salt: newSalt() }, 'Jo-id');
  await kim.ably.sendMessage({ kind: 'bingo-claim', round: number, card, salt }, 'Hana-id');
  const madeUp = [...card];
  await kim.ably.sendMessage({ kind: 'bingo-claim', round: number, card: madeUp, salt: newSalt() }, 'Hana-id');
  // The host itself cannot announce a winner whose claim does not verify.
  await hana.send('bingo-winner', { round: number, player: 'Kim-id', card, salt, line: [0, 1, 2, 3, 4] });
  await session.settled(peers);

  for (const peer of peers) {
    assert.deepEqual(round(peer), before, `${name(peer)}'s round`);
    assert.deepEqual(peer.errors, []);
  }
  assert.deepEqual(jo.state.bingoCard.card, card);
  const refusals = (await session.history(session.inbox('Kim-id'))).filter((m) => m.name === 'bingo-refused');
  assert.deepEqual(
    refusals.map((m) => m.data.reason),
    ['not-your-card'],
    'one verdict per player per call: the second claim is not judged',
  );
});

test("malformed bingo messages, even from the elected host, leave every page's round as it was and break no game", async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  await startPausedRound(hana, [hana, jo]);
  await bingoHost(hana).call();
  await everyoneHasTheCalls(hana, [hana, jo]);
  const before = [round(hana), round(jo), jo.state.bingoCard];
  const { card, salt } = jo.state.bingoCard;
  const next = before[1].calls.length;
  const huge = 'x'.repeat(30_000);
  const digest = 'a'.repeat(64);
  const malformed = {
    'bingo-round': [
      { round: '2', paceMs: 250, dealt: [] },
      { round: 2, paceMs: 100, dealt: [] },
      { round: 2, paceMs: 250, dealt: huge },
      { round: 2, paceMs: 250, dealt: [['Kim-id']] },
      { round: 2, paceMs: 250, dealt: [['Kim-id', digest.toUpperCase()]] },
      { round: 2, paceMs: 250, dealt: Array.from({ length: 201 }, (_, i) => [`p${i}`, digest]) },
    ],
    'bingo-dealt': [
      { round: 1, player: 5, digest },
      { round: 1, player: 'Kim-id', digest: 'zz' },
      { round: true, player: 'Kim-id', digest },
    ],
    'bingo-card': [
      { round: 1, card: huge, salt },
      { round: 1, card: card.map((number) => number + 1), salt },
      { round: 1, card, salt: huge },
    ],
    'bingo-call': [
      { round: 1, index: next + 0.5, number: 3 },
      { round: 1, index: next, number: 76 },
      { round: 1, index: next, number: true },
      { round: 1, index: next, number: before[1].calls[0] },
      { round: 1, index: next + 1, number: 5 },
      { round: '1', index: next, number: 5 },
    ],
    'bingo-pace': [
      { round: 1, paceMs: 249, paused: false },
      { round: 1, paceMs: 250, paused: 'no' },
    ],
    'bingo-winner': [
      { round: 1, player: 'Jo-id', card: huge, salt, line: [0, 1, 2, 3, 4] },
      { round: 1, player: 'Jo-id', card, salt, line: { length: 5 } },
    ],
    'bingo-refused': [{ round: 1, reason: 'because' }],
  };
  for (const [kind, payloads] of Object.entries(malformed)) {
    for (const payload of payloads) {
      const to = ['bingo-card', 'bingo-refused'].includes(kind) ? 'Jo-id' : undefined;
      await hana.ably.sendMessage({ kind, ...payload }, to);
    }
  }
  for (const claim of [{}, { round: 1, card: huge, salt: huge }, { round: 1, card: { length: 25 }, salt }]) {
    await jo.ably.sendMessage({ kind: 'bingo-claim', ...claim }, 'Hana-id');
  }
  await session.settled([hana, jo]);

  assert.deepEqual([round(hana), round(jo), jo.state.bingoCard], before);
  await bingoHost(hana).call();
  await everyoneHasTheCalls(hana, [hana, jo]);
  for (const peer of [hana, jo]) assert.deepEqual(peer.errors, []);
});

test('a card still on its way when its host leaves is lost: the player plays the next round', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  const send = bingoHost(hana).sendCard.bind(bingoHost(hana));
  bingoHost(hana).sendCard = (card) => (card.entry[0] === 'Kim-id' ? Promise.resolve() : send(card)); // never sent
  await startPausedRound(hana, [hana, jo]);
  await waitFor(() => kim.state.bingo?.dealt.length === 3, { what: "Kim to know her card's digest" });

  hana.close();

  await waitFor(() => kim.state.bingoCardLost === 1, { what: "Kim's card to count as lost" });
  assert.equal(kim.state.bingoCard, null);
  assert.equal(round(jo).dealt.length, 3, 'the next host deals Kim no second card this round');
  await waitFor(() => jo.state.isHost, { what: 'Jo to host' });
  await bingoHost(jo).startRound();
  await waitFor(() => kim.state.bingoCard?.round === 2, { what: 'Kim to hold a card of round 2' });
  assert.equal(kim.state.bingoCardLost, null);
});

test('a claim that reaches the next host before it knows it is elected is judged once it is', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  const kim = await session.join('Kim');
  await startPausedRound(hana, [hana, jo, kim]);
  await callUntilLine(hana, kim, [hana, jo, kim]);
  const { round: number, card, salt } = kim.state.bingoCard;

  // Kim has seen Jo elected; Jo has not yet.
  await kim.ably.sendMessage({ kind: 'bingo-claim', round: number, card, salt }, 'Jo-id');
  await session.settled([jo]);
  assert.equal(jo.state.bingo.winner, null);
  hana.close();

  await everyoneSeesTheWinner([jo, kim], kim);
});

test('a page that missed a call asks the host for the round again, and has every call', async (t) => {
  const session = sessionOn(emulator, t);
  const hana = await session.join('Hana');
  const jo = await session.join('Jo');
  await startPausedRound(hana, [hana, jo]);
  await bingoHost(hana).call();
  await everyoneHasTheCalls(hana, [hana, jo]);
  jo.state.bingo.calls.pop(); // as if the call had never reached Jo

  await bingoHost(hana).call();

  await everyoneHasTheCalls(hana, [hana, jo]);
  assert.equal(jo.state.status, 'acknowledged');
  assert.deepEqual(jo.errors, []);
});
