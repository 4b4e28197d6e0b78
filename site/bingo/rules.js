// Bingo's rules, free of I/O (docs/build-a-game.md): what a card is, when a line is complete, the digest that
// commits the host to a card without showing it, and the verdict on a claim. Every peer applies the same rules: the
// host to a claim, every receiver to the winner the host announces and to a snapshot's round. The Python peer's
// p2p/bingo/rules.py is the same rules, both held to tests/protocol/vectors/bingo.json.
//
// The digest is @noble/hashes' SHA-256, not crypto.subtle: browsers offer crypto.subtle only on secure origins, and
// friends on the dev host's LAN link open the page over plain http.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export const BALLS = 75;
export const CARD_CELLS = 25;
/** The centre cell, free: 0 on every card, complete from the start. */
export const FREE_CELL = 12;
export const MIN_PACE_MS = 250;
export const MAX_PACE_MS = 10_000;
export const DEFAULT_PACE_MS = 2_000;
/** Cards dealt per round at most: Ably's presence limit, so every player of a full session gets one. */
export const MAX_DEALT = 200;
export const PHASES = Object.freeze(['playing', 'paused', 'won']);
/** Why the host refuses a claim, in the order the checks are made. */
export const REFUSALS = Object.freeze(['wrong-round', 'round-over', 'not-your-card', 'not-a-line']);

/** The 12 lines, in the order a winning line is chosen: rows 0..4, columns 0..4, then the two diagonals. */
export const LINES = Object.freeze([
  ...[0, 1, 2, 3, 4].map((row) => [0, 1, 2, 3, 4].map((col) => row * 5 + col)),
  ...[0, 1, 2, 3, 4].map((col) => [0, 1, 2, 3, 4].map((row) => row * 5 + col)),
  [0, 6, 12, 18, 24],
  [4, 8, 12, 16, 20],
]);

const SALT = /^[0-9a-f]{32}$/;
const DIGEST = /^[0-9a-f]{64}$/;

export const isRound = (round) => Number.isSafeInteger(round) && round >= 1;
export const isPace = (paceMs) => Number.isSafeInteger(paceMs) && paceMs >= MIN_PACE_MS && paceMs <= MAX_PACE_MS;
export const isSalt = (salt) => typeof salt === 'string' && SALT.test(salt);
export const isDigest = (digest) => typeof digest === 'string' && DIGEST.test(digest);
export const isBall = (number) => Number.isSafeInteger(number) && number >= 1 && number <= BALLS;
const isPlayer = (clientId) => typeof clientId === 'string' && clientId.length > 0;

/** The numbers column `col` (0..4, B I N G O) holds: 15·col + 1 to 15·col + 15. */
export const columnRange = (col) => [15 * col + 1, 15 * col + 15];

/**
 * Whether `card` is a well-formed card: 25 integers, row-major, column c holding distinct numbers of its range,
 * the centre 0.
 */
export function isCard(card) {
  if (!Array.isArray(card) || card.length !== CARD_CELLS) return false;
  const seen = new Set();
  return card.every((number, index) => {
    if (index === FREE_CELL) return number === 0;
    const [low, high] = columnRange(index % 5);
    if (!Number.isSafeInteger(number) || number < low || number > high || seen.has(number)) return false;
    seen.add(number);
    return true;
  });
}

/** The commitment to a card: lowercase hex SHA-256 of `bingo-card/1|<round>|<clientId>|<salt>|<card>`. */
export function cardDigest(round, clientId, salt, card) {
  return bytesToHex(sha256(utf8ToBytes(`bingo-card/1|${round}|${clientId}|${salt}|${card.join(',')}`)));
}

/** The first complete line of `card` against the numbers called (cells 0 or called), or null. */
export function completeLine(card, calls) {
  const called = new Set(calls);
  return LINES.find((line) => line.every((index) => card[index] === 0 || called.has(card[index]))) ?? null;
}

/** The digest `dealt` (`[[clientId, digest], ...]`) holds for `clientId`, or undefined. */
export const dealtDigest = (dealt, clientId) => dealt.find(([player]) => player === clientId)?.[1];

/**
 * The verdict on a claim `{round, card, salt}` from `from` (Ably's clientId) against a round `{round, phase, calls,
 * dealt}`: `{verdict: 'winner', line}`, or `{verdict: reason}` with the first reason of REFUSALS that applies.
 */
export function verifyClaim(state, from, claim) {
  if (claim?.round !== state.round) return { verdict: 'wrong-round' };
  if (state.phase === 'won') return { verdict: 'round-over' };
  const { card, salt } = claim;
  if (!isCard(card) || !isSalt(salt) || !isPlayer(from)) return { verdict: 'not-your-card' };
  const digest = dealtDigest(state.dealt, from);
  if (digest === undefined || digest !== cardDigest(state.round, from, salt, card)) return { verdict: 'not-your-card' };
  const line = completeLine(card, state.calls);
  return line ? { verdict: 'winner', line } : { verdict: 'not-a-line' };
}

/** Whether the numbers called are well-formed: distinct balls, at most all 75. */
export const isCalls = (calls) =>
  Array.isArray(calls) && calls.length <= BALLS && calls.every(isBall) && new Set(calls).size === calls.length;

/** Whether `dealt` is well-formed: `[clientId, digest]` pairs, each player once, at most MAX_DEALT. */
export function isDealt(dealt) {
  if (!Array.isArray(dealt) || dealt.length > MAX_DEALT) return false;
  const players = new Set();
  return dealt.every((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2 || !isPlayer(entry[0]) || !isDigest(entry[1])) return false;
    if (players.has(entry[0])) return false;
    players.add(entry[0]);
    return true;
  });
}

const sameLine = (a, b) => Array.isArray(a) && a.length === b.length && a.every((index, at) => index === b[at]);

/**
 * Whether a round `{round, phase, paceMs, calls, dealt, winner}` (a snapshot's `bingo`) is well-formed and true to
 * itself: a winner exactly when won, and a winner whose claim verifies against the round's own dealt and calls,
 * with the line the rule picks.
 */
export function isRoundState(bingo) {
  if (!bingo || typeof bingo !== 'object' || Array.isArray(bingo)) return false;
  const { round, phase, paceMs, calls, dealt, winner } = bingo;
  if (!isRound(round) || !PHASES.includes(phase) || !isPace(paceMs) || !isCalls(calls) || !isDealt(dealt)) {
    return false;
  }
  if ((phase === 'won') !== (winner !== null && winner !== undefined)) return false;
  return phase !== 'won' || isWinner({ round, phase: 'playing', calls, dealt }, winner);
}

/** Whether `winner` `{player, card, salt, line}` is a claim that wins `state`, naming the line the rule picks. */
export function isWinner(state, winner) {
  if (!winner || typeof winner !== 'object') return false;
  const { player, card, salt, line } = winner;
  const verdict = verifyClaim(state, player, { round: state.round, card, salt });
  return verdict.verdict === 'winner' && sameLine(line, verdict.line);
}

/** A random integer in [0, n), unbiased, from crypto.getRandomValues (there on plain http too). */
function randomBelow(n) {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const [value] = crypto.getRandomValues(new Uint32Array(1));
  return value < limit ? value % n : randomBelow(n);
}

/** A new random card: five distinct numbers from each column's range, the centre 0. */
export function newCard() {
  const columns = [0, 1, 2, 3, 4].map((col) => {
    const [low] = columnRange(col);
    const numbers = Array.from({ length: 15 }, (_, offset) => low + offset);
    for (let i = 0; i < 5; i += 1) {
      const j = i + randomBelow(15 - i);
      [numbers[i], numbers[j]] = [numbers[j], numbers[i]];
    }
    return numbers.slice(0, 5);
  });
  return Array.from({ length: CARD_CELLS }, (_, index) =>
    index === FREE_CELL ? 0 : columns[index % 5][Math.floor(index / 5)],
  );
}

/** A new salt: 128 random bits as 32 lowercase hex characters. */
export const newSalt = () => bytesToHex(crypto.getRandomValues(new Uint8Array(16)));

/** A ball not called yet, at random, or null when all 75 are out. */
export function nextBall(calls) {
  const called = new Set(calls);
  const left = [];
  for (let ball = 1; ball <= BALLS; ball += 1) if (!called.has(ball)) left.push(ball);
  return left.length === 0 ? null : left[randomBelow(left.length)];
}

/** `paceMs` kept within [MIN_PACE_MS, MAX_PACE_MS]. */
export const clampPace = (paceMs) => Math.min(MAX_PACE_MS, Math.max(MIN_PACE_MS, Math.round(paceMs)));
