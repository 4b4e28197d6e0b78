"""Every peer's copy of the host's bingo round (site/bingo/mirror.js; the kinds: docs/protocol.md): the round from
the host's messages and snapshot, this peer's card (kept once its digest is the one published for it) and its claim,
kept until its verdict and sent again to a new host.

Emits `bingo` events through the session, `{event, ...}`: `round` (a new round, or one restored), `card` (this
peer's card arrived: {card}), `call` ({number}), `pace` ({paceMs, paused}), `claimed` ({line}: this peer claimed),
`refused` ({reason}), `winner` ({winner}).
"""

from collections.abc import Mapping
from typing import Any

from ..feature import Mirror
from .rules import DIGEST as DIGEST_PATTERN
from .rules import (
    MAX_DEALT,
    MAX_NUMBER,
    REFUSALS,
    SALT,
    Round,
    card_digest,
    complete_line,
    dealt_of,
    is_card,
    is_integer,
    is_pace,
    is_round,
    is_same,
    round_of,
    winner_of,
)


def dealt_card(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A `{round, card, salt}` of the right shape, as kept, or None."""
    round_, card, salt = message.get("round"), message.get("card"), message.get("salt")
    if not (is_round(round_) and is_card(card) and isinstance(salt, str) and SALT.fullmatch(salt)):
        return None
    return {"round": int(round_), "card": [int(n) for n in card], "salt": salt}  # type: ignore[arg-type,union-attr]


def digest_of(player: str, deal: Mapping[str, Any]) -> str:
    """The digest of a `{round, card, salt}` dealt to `player`."""
    return card_digest(deal["round"], player, deal["salt"], deal["card"])


class BingoMirror(Mirror):
    """`round` (rules.Round, or None before the first), `card` (this peer's {round, card, salt}, or None), `claim`
    (a claim awaiting its verdict), `line` (the card's first complete line against the calls)."""

    def __init__(self, session: Any) -> None:
        """`session`: its `state` (my clientId, the host's), `ably` (claims), `emit` and `tasks`."""
        self.session = session
        self.round: Round | None = None
        self.card: dict[str, Any] | None = None
        self.unchecked_card: dict[str, Any] | None = None  # arrived before its digest (another channel)
        self.early_dealt: dict[str, tuple[int, str]] = {}  # digests of a round not mirrored yet (a joiner's own)
        self.claim: dict[str, Any] | None = None
        self.held_claims: dict[str, dict[str, Any]] = {}  # claims sent to this peer before it knew it hosts

    def _tell(self, event: str, **detail: Any) -> None:
        self.session.emit("bingo", {"event": event, **detail})

    # Every peer: the round mirrored from the host's messages.

    def on_round(self, message: Mapping[str, Any]) -> None:
        round_, pace, dealt = message.get("round"), message.get("paceMs"), dealt_of(message.get("dealt"))
        if not (is_round(round_) and is_pace(pace)) or dealt is None:
            return
        if self.round is not None and round_ <= self.round.round:  # type: ignore[operator]
            return
        self.round = Round(int(round_), "playing", int(pace), [], dealt)  # type: ignore[arg-type]
        self.card = self.claim = None
        self._tell("round", round=self.round.round)
        self._add_early_dealt()

    def on_dealt(self, message: Mapping[str, Any]) -> None:
        """A late joiner's digest; one of a round this peer has not mirrored yet (it is joining) waits for it."""
        round_, player, digest = message.get("round"), message.get("player"), message.get("digest")
        if not (is_round(round_) and isinstance(player, str) and player and isinstance(digest, str)):
            return
        if not DIGEST_PATTERN.fullmatch(digest):
            return
        state = self.round
        if (state is None or round_ > state.round) and len(self.early_dealt) < MAX_DEALT:  # type: ignore[operator]
            self.early_dealt[player] = (int(round_), digest)  # type: ignore[arg-type]
        elif state is not None and round_ == state.round and player not in state.dealt and len(state.dealt) < MAX_DEALT:
            state.dealt[player] = digest
            self._check_card()

    def _add_early_dealt(self) -> None:
        state = self.round
        assert state is not None
        for player, (round_, digest) in self.early_dealt.items():
            if round_ == state.round and len(state.dealt) < MAX_DEALT:
                state.dealt.setdefault(player, digest)
        self.early_dealt = {}
        self._check_card()

    def on_card(self, message: Mapping[str, Any]) -> None:
        self.unchecked_card = dealt_card(message)
        self._check_card()

    def _check_card(self) -> None:
        """Keep the card dealt to me once its digest is the one published for me this round."""
        card, state, me = self.unchecked_card, self.round, self.session.state.my_client_id
        if card is None or state is None:
            return
        if card["round"] < state.round:
            self.unchecked_card = None
            return
        if isinstance(me, str) and card["round"] == state.round and state.dealt.get(me) == digest_of(me, card):
            self.card, self.unchecked_card = card, None
            self._tell("card", card=card["card"])

    def on_call(self, message: Mapping[str, Any]) -> None:
        state, number = self.round, message.get("number")
        if state is None or state.phase == "won" or not is_same(message.get("round"), state.round):
            return
        if (
            is_same(message.get("index"), len(state.calls))
            and is_integer(number, 1, MAX_NUMBER)
            and number not in state.calls
        ):
            state.calls.append(int(number))  # type: ignore[arg-type]
            self._tell("call", number=int(number))  # type: ignore[arg-type]

    def on_pace(self, message: Mapping[str, Any]) -> None:
        state, pace, paused = self.round, message.get("paceMs"), message.get("paused")
        if state is None or state.phase == "won" or not is_same(message.get("round"), state.round):
            return
        if is_pace(pace) and isinstance(paused, bool):
            state.pace_ms, state.phase = int(pace), "paused" if paused else "playing"  # type: ignore[arg-type]
            self._tell("pace", paceMs=state.pace_ms, paused=paused)

    def on_winner(self, message: Mapping[str, Any]) -> None:
        """Shown only if it re-verifies against what this peer mirrored: a forged winner changes nothing."""
        state = self.round
        winner = winner_of(state, message) if state is not None else None
        if state is None or winner is None:
            return
        state.winner, state.phase = winner, "won"
        self.claim = None
        self._tell("winner", winner=winner)

    def on_refused(self, message: Mapping[str, Any]) -> None:
        reason = message.get("reason")
        if self.claim is not None and is_same(message.get("round"), self.claim["round"]) and reason in REFUSALS:
            self.claim = None
            self._tell("refused", reason=reason)

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """A later round, or more of the same one (a peer that lost track, or a host that knew more); a malformed
        `bingo` field is dropped."""
        part = round_of(snapshot.get("bingo"))
        mine = self.round
        if part is None:
            return
        if mine is not None and (part.round < mine.round or (part.round == mine.round and not self._behind(part))):
            return
        if mine is None or part.round > mine.round:
            self.card = self.claim = None
        self.round = part
        self._tell("round", round=part.round)
        self._add_early_dealt()
        if part.winner:
            self._tell("winner", winner=part.winner)

    def _behind(self, other: Round) -> bool:
        """Whether `other`, of the same round, knows more than this peer's mirror."""
        mine = self.round
        assert mine is not None
        known = (len(mine.calls), len(mine.dealt), mine.winner is not None)
        return (len(other.calls), len(other.dealt), other.winner is not None) > known

    # A player: a claim, kept until its verdict, sent again to a new host.

    @property
    def line(self) -> list[int] | None:
        """The first complete line of this peer's card against the calls, or None."""
        state, card = self.round, self.card
        if state is None or card is None or card["round"] != state.round:
            return None
        return complete_line(card["card"], state.calls)

    async def claim_bingo(self) -> None:
        """Claim with this peer's card (to the host's inbox); the verdict comes as `winner` or `refused`."""
        if self.card is None:
            raise RuntimeError("No card dealt to this peer this round.")
        self.claim = dict(self.card)
        self._tell("claimed", line=self.line)
        await self._send_claim()

    async def _send_claim(self) -> None:
        host = self.session.state.host_client_id
        if self.claim is not None and host:
            await self.session.ably.send_message({"kind": "bingo-claim", **self.claim}, host)

    def hold_claim(self, message: dict[str, Any]) -> None:
        """Keep a claim for the host's part this peer is about to have (one per player)."""
        player = message.get("from")
        if isinstance(player, str) and (player in self.held_claims or len(self.held_claims) < MAX_DEALT):
            self.held_claims[player] = message

    def host_changed(self) -> None:
        if self.session.server is None:
            self.held_claims = {}
        if self.claim is not None:
            self.session.tasks.start("Could not send the claim to the new host.", self._send_claim())
