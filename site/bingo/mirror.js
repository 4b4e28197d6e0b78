// Every peer's copy of the bingo round (the host's state, as docs/protocol.md's bingo kinds carry it), and this
// player's own card and claim. Kept in the session's reactive state, so the page shows it as it changes:
//   state.bingo       {round, phase, paceMs, calls, dealt, winner}, or null before the first round
//   state.bingoCard   {round, card, salt}: this player's card, once its digest matches the one dealt
//   state.bingoClaim  {round, card, salt}: a claim waiting for the host's verdict (sent again to a new host)
//   state.bingoRefused the host's reason for refusing this player's last claim, or null
//   state.bingoCardLost the round whose card was dealt to this player but lost with the host that dealt it
// Every message is checked before it changes anything: its round, its place among the calls, and a winner is
// verified again with the same rule the host applied, so a forged call or winner changes nothing.
import { cardDigest, dealtDigest, isBall, isCard, isDealt, isDigest, isPace, isRound, isRoundState } from './rules.js';
import { isSalt, isWinner, MAX_DEALT, REFUSALS } from './rules.js';

export class BingoMirror {
  /** @param {import('../p2p.session.js').P2PSession} session */
  constructor(session) {
    this.session = session;
    this.state = Object.assign(session.state, {
      bingo: null,
      bingoCard: null,
      bingoClaim: null,
      bingoRefused: null,
      bingoCardLost: null,
    });
    // A card that came before its round or its dealt entry (Ably does not order the inbox and the session channel).
    this.pendingCard = null;
    // Claims that reached this peer before it knew it was elected, by claimant: judged if it turns out to host.
    this.claimsForHost = new Map();
    // `round|calls` when this peer last asked the host for the calls it missed.
    this.gapAskedFor = null;
  }

  /** The current round, when `round` is its number and it is not won yet. */
  openRound(round) {
    const { bingo } = this.state;
    return bingo && bingo.round === round && bingo.phase !== 'won' ? bingo : null;
  }

  /**
   * The snapshot's `bingo` (a newcomer's, or after continuity was lost): a later round replaces this one; the same
   * round adds the calls and cards not seen yet. A malformed one is ignored (the words still count).
   */
  restore({ bingo }) {
    if (!isRoundState(bingo)) return;
    const mine = this.state.bingo;
    if (!mine || bingo.round > mine.round) this.startRound(bingo);
    else if (bingo.round === mine.round) {
      // Calls only grow: the longer list holds the shorter (one host, one order).
      if (bingo.calls.length > mine.calls.length) mine.calls = bingo.calls.slice();
      for (const entry of bingo.dealt) if (dealtDigest(mine.dealt, entry[0]) === undefined) mine.dealt.push(entry);
      if (mine.phase !== 'won') Object.assign(mine, { phase: bingo.phase, paceMs: bingo.paceMs });
      if (bingo.winner && !mine.winner) this.won(bingo.winner);
    }
    this.takePendingCard();
  }

  startRound({ round, phase = 'playing', paceMs, calls = [], dealt, winner = null }) {
    this.state.bingo = { round, phase, paceMs, calls: calls.slice(), dealt: dealt.map((entry) => [...entry]), winner };
    this.state.bingoCard = null;
    this.state.bingoClaim = null;
    this.state.bingoRefused = null;
    this.state.bingoCardLost = null;
  }

  /** `bingo-round`: a new round, with every card's digest. */
  onRound({ round, paceMs, dealt }) {
    if (!isRound(round) || !isPace(paceMs) || !isDealt(dealt) || round <= (this.state.bingo?.round ?? 0)) return;
    this.startRound({ round, paceMs, dealt });
    this.takePendingCard();
  }

  /** `bingo-dealt`: a late joiner's card, by its digest. */
  onDealt({ round, player, digest }) {
    const bingo = this.openRound(round);
    if (!bingo || typeof player !== 'string' || !player || !isDigest(digest) || bingo.dealt.length >= MAX_DEALT) return;
    if (dealtDigest(bingo.dealt, player) !== undefined) return;
    bingo.dealt.push([player, digest]);
    this.takePendingCard();
  }

  /** `bingo-card`, on this player's inbox: my card, kept once its digest matches my dealt entry. */
  onCard({ round, card, salt }) {
    if (!isRound(round) || !isCard(card) || !isSalt(salt) || round < (this.state.bingo?.round ?? 0)) return;
    this.pendingCard = { round, card: card.slice(), salt };
    this.takePendingCard();
  }

  takePendingCard() {
    const pending = this.pendingCard;
    const { bingo, myClientId } = this.state;
    if (!pending || !bingo || pending.round > bingo.round) return;
    const digest = dealtDigest(bingo.dealt, myClientId);
    if (pending.round === bingo.round && digest === undefined) return; // its dealt entry is on its way
    this.pendingCard = null;
    if (pending.round === bingo.round && digest === cardDigest(bingo.round, myClientId, pending.salt, pending.card)) {
      this.state.bingoCard = pending;
    }
  }

  /**
   * `bingo-call`: the next number, in order, never one called before. One further on means calls were missed (say,
   * sent while this page's connection was down): the host's snapshot has them, so ask for it, once per gap.
   */
  onCall({ round, index, number }) {
    const bingo = this.openRound(round);
    if (!bingo || !isBall(number) || !Number.isSafeInteger(index)) return;
    if (index > bingo.calls.length) this.askForMissedCalls(bingo);
    if (index !== bingo.calls.length || bingo.calls.includes(number)) return;
    bingo.calls.push(number);
  }

  askForMissedCalls({ round, calls }) {
    const gap = `${round}|${calls.length}`;
    if (this.gapAskedFor === gap) return;
    this.gapAskedFor = gap;
    this.session.background('Could not ask the host for the numbers missed.', this.session.client.announce());
  }

  /** `bingo-pace`: the host changed the pace, paused or resumed. */
  onPace({ round, paceMs, paused }) {
    const bingo = this.openRound(round);
    if (!bingo || !isPace(paceMs) || typeof paused !== 'boolean') return;
    Object.assign(bingo, { paceMs, phase: paused ? 'paused' : 'playing' });
  }

  /** `bingo-winner`: shown only when the claim wins by the same rule here, with the same line. */
  onWinner({ round, player, card, salt, line }) {
    const bingo = this.openRound(round);
    if (!bingo || !isWinner(bingo, { player, card, salt, line })) return;
    this.won({ player, card: card.slice(), salt, line: line.slice() });
  }

  won(winner) {
    Object.assign(this.state.bingo, { phase: 'won', winner });
    this.state.bingoClaim = null;
    this.state.bingoRefused = null;
  }

  /** `bingo-refused`, on this player's inbox: the host's verdict on my pending claim. */
  onRefused({ round, reason }) {
    if (this.state.bingoClaim?.round !== round || !REFUSALS.includes(reason)) return;
    this.state.bingoClaim = null;
    this.state.bingoRefused = reason;
  }

  /**
   * `bingo-claim`, on this peer's inbox: the host's part judges it. A claimant that saw the new host before the new
   * host saw its own election sent it early: it waits (the latest per claimant) until this peer hosts.
   */
  onClaimForHost(message) {
    const host = this.session.server?.parts.bingo;
    if (host) return host.onClaim(message);
    const { from } = message;
    if (typeof from !== 'string' || (this.claimsForHost.size >= MAX_DEALT && !this.claimsForHost.has(from))) return;
    this.claimsForHost.set(from, message);
  }

  /** "Bingo!": claim with my card; the claim waits for the host's verdict, and goes again to a new host. */
  claim() {
    const card = this.state.bingoCard;
    if (!card || !this.openRound(card.round)) return Promise.resolve();
    this.state.bingoClaim = card;
    this.state.bingoRefused = null;
    return this.sendClaim();
  }

  sendClaim() {
    const { bingoClaim: claim, hostClientId } = this.state;
    if (!claim || !hostClientId) return Promise.resolve();
    const { round, card, salt } = claim;
    return this.session.send('bingo-claim', { round, card, salt }, { to: hostClientId });
  }

  /**
   * A new host has not heard my claim: send it again, so no claim is lost. A card dealt to me that has not come
   * yet never will (only the host that dealt it had it): I play the next round. Elected, judge the claims that came
   * early.
   */
  hostChanged() {
    const early = [...this.claimsForHost.values()];
    this.claimsForHost.clear();
    const host = this.state.isHost && this.session.server?.parts.bingo;
    for (const claim of host ? early : []) this.session.background('Could not judge a claim.', host.onClaim(claim));
    const { bingo, bingoCard, myClientId } = this.state;
    if (bingo && bingo.phase !== 'won' && bingoCard?.round !== bingo.round) {
      if (dealtDigest(bingo.dealt, myClientId) !== undefined) this.state.bingoCardLost = bingo.round;
    }
    this.session.background('Could not send your claim to the new host.', this.state.bingoClaim && this.sendClaim());
  }
}
