// The host's part of bingo (docs/protocol.md, the bingo kinds): deals each player a card on its inbox and publishes
// only the card's digest, calls a number every `paceMs`, deals a late joiner in, and judges each claim against the
// digests and the calls. Made from this peer's mirror when it is elected, so a new host goes on with the same round,
// the same calls and the same digests: it never sees the others' cards, and needs not, since a claim carries its
// card and salt, which must match the digest dealt.
import { cardDigest, clampPace, DEFAULT_PACE_MS, dealtDigest, MAX_DEALT, newCard, newSalt } from './rules.js';
import { nextBall, verifyClaim } from './rules.js';

/** A plain copy of a round (the mirror's is reactive, and changes as messages come). */
const copyRound = (bingo) =>
  bingo && {
    ...bingo,
    calls: bingo.calls.slice(),
    dealt: bingo.dealt.map((entry) => [...entry]),
    winner: bingo.winner && { ...bingo.winner, card: bingo.winner.card.slice(), line: bingo.winner.line.slice() },
  };

export class BingoHost {
  /**
   * @param {import('../p2p.session.js').P2PSession} session
   * @param {{state: {bingo: object | null}}} mirror this peer's BingoMirror: where the round is taken from
   */
  constructor(session, mirror) {
    this.session = session;
    this.round = copyRound(mirror.state.bingo);
    // `clientId|round|calls.length` of each claim judged: one verdict per player per number called.
    this.judged = new Set();
    this.timer = null;
    this.stopped = false;
    this.schedule();
  }

  /** Its field of the snapshot: `bingo`, once a round has started. */
  snapshot() {
    return this.round ? { bingo: copyRound(this.round) } : {};
  }

  /** "Play bingo" / "New round": deal every player a new card, then call numbers. */
  async startRound() {
    const round = (this.round?.round ?? 0) + 1;
    const cards = this.session.state.players.slice(0, MAX_DEALT).map(({ clientId }) => deal(round, clientId));
    const paceMs = this.round?.paceMs ?? DEFAULT_PACE_MS;
    this.round = { round, phase: 'playing', paceMs, calls: [], dealt: cards.map(({ entry }) => entry), winner: null };
    this.judged.clear();
    clearTimeout(this.timer);
    await this.session.send('bingo-round', { round, paceMs, dealt: copyRound(this.round).dealt });
    // The calls start while the cards go: one refused for a flooded inbox's rate goes again later (host-sends.js).
    this.schedule();
    await Promise.all(cards.map((card) => this.sendCard(card)));
  }

  sendCard({ entry: [clientId], round, card, salt }) {
    return this.session.send('bingo-card', { round, card, salt }, { to: clientId });
  }

  /** Pause, resume, faster or slower: `{paceMs, paused}`; the pace is kept within the protocol's bounds. */
  async setPace({ paceMs, paused }) {
    const { round } = this;
    if (!round || round.phase === 'won') return;
    const pausing = paused ?? round.phase === 'paused';
    Object.assign(round, { paceMs: clampPace(paceMs ?? round.paceMs), phase: pausing ? 'paused' : 'playing' });
    this.schedule();
    await this.session.send('bingo-pace', { round: round.round, paceMs: round.paceMs, paused: pausing });
  }

  /** The next call, `paceMs` from now, while the round plays and numbers are left. */
  schedule() {
    clearTimeout(this.timer);
    const { round } = this;
    if (this.stopped || round?.phase !== 'playing' || nextBall(round.calls) === null) return;
    this.timer = setTimeout(() => {
      this.session.background('Could not call the next number.', this.call());
    }, round.paceMs);
  }

  /** Call one number now (the timer does, every `paceMs` while the round plays). */
  async call() {
    const { round } = this;
    const number = round && nextBall(round.calls);
    if (this.stopped || !number || round.phase === 'won') return;
    // Taken before it is sent: a claim judged meanwhile counts it, as every receiver will (the call goes out first).
    const index = round.calls.length;
    round.calls.push(number);
    this.schedule();
    try {
      await this.session.send('bingo-call', { round: round.round, index, number });
    } catch (error) {
      if (round.calls.length === index + 1) round.calls.pop(); // nobody has it: call another next time
      throw error;
    }
  }

  /** Deal a card to every player in the roster who has none this round (a late joiner). */
  playersChanged(players) {
    const { round } = this;
    if (this.stopped || !round || round.phase === 'won') return;
    for (const { clientId } of players) {
      if (round.dealt.length >= MAX_DEALT || dealtDigest(round.dealt, clientId) !== undefined) continue;
      const card = deal(round.round, clientId);
      round.dealt.push(card.entry);
      const [, digest] = card.entry;
      this.session.background(
        'Could not deal a card to a player who joined.',
        this.session
          .send('bingo-dealt', { round: round.round, player: clientId, digest })
          .then(() => this.sendCard(card)),
      );
    }
  }

  /**
   * `bingo-claim`, on this host's inbox: the verdict, once per player per number called. A winner is announced to
   * everyone and the calls stop; anything else is refused on the claimant's inbox, with the reason.
   */
  async onClaim(message) {
    const { round } = this;
    const { from } = message;
    if (this.stopped || !round || typeof from !== 'string' || !from) return;
    const key = `${from}|${round.round}|${round.calls.length}`;
    if (this.judged.has(key)) return;
    this.judged.add(key);
    const { card, salt } = message;
    const { verdict, line } = verifyClaim(round, from, message);
    if (verdict !== 'winner') {
      const claimed = Number.isSafeInteger(message.round) ? message.round : round.round;
      await this.session.send('bingo-refused', { round: claimed, reason: verdict }, { to: from });
      return;
    }
    round.phase = 'won';
    round.winner = { player: from, card: card.slice(), salt, line };
    clearTimeout(this.timer);
    await this.session.send('bingo-winner', { round: round.round, ...round.winner });
  }

  /** This peer no longer hosts: no more calls. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** A new card for `clientId` in `round`, with its salt and its dealt entry `[clientId, digest]`. */
function deal(round, clientId) {
  const card = newCard();
  const salt = newSalt();
  return { round, card, salt, entry: [clientId, cardDigest(round, clientId, salt, card)] };
}
