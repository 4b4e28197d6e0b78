"""Bingo as a Part of the session (p2p/hosted.py; the kinds: docs/protocol.md): every peer mirrors the round from the
host's messages and snapshot, keeps the card dealt to it and claims; while hosting, the same object deals, calls
numbers at the pace, deals late joiners and verifies claims against the digests it mirrored (p2p/bingo.py), so a
newly elected host continues the round where the last one left it.

Emits `bingo` events through `notify`, `{event, ...}`: `round` (a new round), `card` (this peer's card arrived),
`call` ({number}), `pace`, `claimed` (this peer sent a claim), `refused` ({reason}), `winner` ({winner}).
"""

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from .bingo import (
    DEFAULT_PACE_MS,
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
    new_salt,
    random_card,
    round_of,
    verdict,
    winner_of,
)
from .bingo import DIGEST as DIGEST_PATTERN
from .hosted import ANYONE, HOST, INBOX, SESSION, Kind, Part, Sender, Tasks


def dealt_card(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A `{round, card, salt}` of the right shape, as kept, or None."""
    round_, card, salt = message.get("round"), message.get("card"), message.get("salt")
    if not (is_round(round_) and is_card(card) and isinstance(salt, str) and SALT.fullmatch(salt)):
        return None
    return {"round": int(round_), "card": [int(n) for n in card], "salt": salt}  # type: ignore[arg-type,union-attr]


def new_deal(round_: int) -> dict[str, Any]:
    """A new random card and salt for one player, as `bingo-card` carries it."""
    return {"round": round_, "card": random_card(), "salt": new_salt()}


def digest_of(player: str, deal: Mapping[str, Any]) -> str:
    return card_digest(deal["round"], player, deal["salt"], deal["card"])


class Bingo(Part):
    """`round` (p2p/bingo.py Round, or None before the first), `card` (this peer's {round, card, salt}, or None),
    `claim` (a claim awaiting its verdict). While hosting: start_round(), set_pace()."""

    kinds: ClassVar[Mapping[str, Kind]] = {
        "bingo-round": Kind(HOST, SESSION, "on_round"),
        "bingo-dealt": Kind(HOST, SESSION, "on_dealt"),
        "bingo-card": Kind(HOST, INBOX, "on_card"),
        "bingo-call": Kind(HOST, SESSION, "on_call"),
        "bingo-pace": Kind(HOST, SESSION, "on_pace"),
        "bingo-winner": Kind(HOST, SESSION, "on_winner"),
        "bingo-refused": Kind(HOST, INBOX, "on_refused"),
    }
    host_kinds: ClassVar[Mapping[str, Kind]] = {"bingo-claim": Kind(ANYONE, INBOX, "on_claim")}

    def __init__(
        self,
        ably: Sender,
        state: Any,
        tasks: Tasks,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`tasks`: where its background work runs (and its `bingo` events are told: `tasks.notify`)."""
        self.ably = ably
        self.state = state
        self.tasks = tasks
        self.notify = tasks.notify
        self.sleep = sleep
        self.round: Round | None = None
        self.card: dict[str, Any] | None = None
        self.unchecked_card: dict[str, Any] | None = None  # arrived before its digest (another channel)
        self.early_dealt: dict[str, tuple[int, str]] = {}  # digests of a round not mirrored yet (a joiner's own)
        self.claim: dict[str, Any] | None = None
        self.hosting = False
        self.lock = asyncio.Lock()  # one host action at a time: deal, call, verdict
        self.caller: asyncio.Task[None] | None = None
        self.resumed = asyncio.Event()
        self.dealt_here: dict[str, dict[str, Any]] = {}  # the cards this peer dealt this round, to send again
        self.judged: dict[str, tuple[int, int]] = {}  # player → (round, calls) of its last verdict

    def _tell(self, event: str, **detail: Any) -> None:
        self.notify("bingo", {"event": event, **detail})

    # Every peer: the round mirrored from the host's messages.

    def on_round(self, message: Mapping[str, Any]) -> None:
        round_, pace, dealt = message.get("round"), message.get("paceMs"), dealt_of(message.get("dealt"))
        if not (is_round(round_) and is_pace(pace)) or dealt is None:
            return
        if self.round is not None and round_ <= self.round.round:  # type: ignore[operator]
            return
        self.round = Round(int(round_), "playing", int(pace), [], dealt)  # type: ignore[arg-type]
        self.card = self.claim = None
        self.judged = {}
        self._tell("round", round=self.round.round)
        self._add_early_dealt()
        self._resume()

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
        card, state, me = self.unchecked_card, self.round, self.state.my_client_id
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
            self._resume()

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

    def read_snapshot(self, snapshot: Mapping[str, Any]) -> Round | None:
        return round_of(snapshot.get("bingo"))

    def take_snapshot(self, part: Round) -> None:
        """A later round, or more of the same one (a peer that lost track, or a host that knew more)."""
        mine = self.round
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
        host = self.state.host_client_id
        if self.claim is not None and host:
            await self.ably.send_message({"kind": "bingo-claim", **self.claim}, host)

    def on_host_changed(self) -> None:
        if self.claim is not None:
            self.tasks.start("Could not send the claim to the new host.", self._send_claim())

    # The host: deals, calls, judges.

    def snapshot(self) -> dict[str, Any]:
        return {"bingo": self.round.wire()} if self.round is not None else {}

    def start_hosting(self) -> None:
        """Continue the mirrored round: the next call after the pace, late joiners dealt."""
        self.hosting = True
        self.dealt_here = {}
        self._resume()
        self.tasks.start("Could not deal the players who have no card.", self._deal_missing())

    def stop_hosting(self) -> None:
        self.hosting = False
        if self.caller is not None:
            self.caller.cancel()
            self.caller = None

    async def start_round(self, pace_ms: int | None = None) -> None:
        """A new round (a rematch after a win): a new card for every player, then numbers called at the pace."""
        if not self.hosting:
            raise RuntimeError("Only the host can start a round.")
        async with self.lock:
            number = (self.round.round if self.round else 0) + 1
            pace = pace_ms if pace_ms is not None else (self.round.pace_ms if self.round else DEFAULT_PACE_MS)
            players = [player["clientId"] for player in self.state.players][:MAX_DEALT]
            cards = {player: new_deal(number) for player in players}
            dealt = [[player, digest_of(player, card)] for player, card in cards.items()]
            message = {"kind": "bingo-round", "round": number, "paceMs": pace, "dealt": dealt}
            self.on_round(message)
            self.dealt_here = cards
            await self.ably.send_message(message)
            for player, card in cards.items():
                await self.ably.send_message({"kind": "bingo-card", **card}, player)

    async def set_pace(self, pace_ms: int, paused: bool) -> None:
        """Faster, slower, pause or resume (host only)."""
        state = self.round
        if not self.hosting or state is None or state.phase == "won" or not is_pace(pace_ms):
            raise RuntimeError("Only the host of a round under way can set its pace, within 250 ms to 10 s.")
        message = {"kind": "bingo-pace", "round": state.round, "paceMs": pace_ms, "paused": paused}
        self.on_pace(message)
        await self.ably.send_message(message)

    def _resume(self) -> None:
        """Start calling (or wake the caller) when hosting a round that is playing."""
        state = self.round
        if not self.hosting or state is None or state.phase != "playing":
            return
        self.resumed.set()
        if self.caller is None or self.caller.done():
            self.caller = self.tasks.start("Could not call the next number.", self._call_numbers())

    async def _call_numbers(self) -> None:
        while self.hosting and (state := self.round) is not None and state.phase != "won":
            if len(state.calls) >= MAX_NUMBER:
                return
            if state.phase == "paused":
                self.resumed.clear()
                await self.resumed.wait()
                continue
            await self.sleep(state.pace_ms / 1000)
            async with self.lock:
                if self.hosting and self.round is state and state.phase == "playing" and len(state.calls) < MAX_NUMBER:
                    number = secrets.choice([n for n in range(1, MAX_NUMBER + 1) if n not in state.calls])
                    message = {"kind": "bingo-call", "round": state.round, "index": len(state.calls), "number": number}
                    self.on_call(message)
                    await self.ably.send_message(message)

    def on_players(self, players: list[dict[str, Any]]) -> None:
        if self.hosting:
            self.tasks.start("Could not deal a late joiner.", self._deal_missing())

    async def _deal_missing(self) -> None:
        """Deal every player of the roster who has no card in a round under way (a late joiner)."""
        async with self.lock:
            state = self.round
            if not self.hosting or state is None or state.phase == "won":
                return
            for player in [p["clientId"] for p in self.state.players if p["clientId"] not in state.dealt]:
                if len(state.dealt) >= MAX_DEALT:
                    return
                card = new_deal(state.round)
                message = {
                    "kind": "bingo-dealt",
                    "round": state.round,
                    "player": player,
                    "digest": digest_of(player, card),
                }
                self.on_dealt(message)
                self.dealt_here[player] = card
                await self.ably.send_message(message)
                await self.ably.send_message({"kind": "bingo-card", **card}, player)

    async def on_connected(self, client_id: str) -> None:
        """A player this host dealt asked for the snapshot (it reloaded or lost track): its card again."""
        card = self.dealt_here.get(client_id)
        if self.hosting and card is not None and self.round is not None and card["round"] == self.round.round:
            await self.ably.send_message({"kind": "bingo-card", **card}, client_id)

    async def on_claim(self, message: Mapping[str, Any]) -> None:
        """Verify a claim against the mirrored digests and calls: one verdict per player per call."""
        player = message.get("from")
        if not self.hosting or not isinstance(player, str):
            return
        async with self.lock:
            state = self.round
            if state is None:
                return
            judged = (state.round, len(state.calls))
            if self.judged.get(player) == judged:
                return
            self.judged[player] = judged
            ruling, line = verdict(state, player, message)
            if ruling != "winner":
                claimed = message.get("round")
                round_ = claimed if is_round(claimed) else state.round
                await self.ably.send_message({"kind": "bingo-refused", "round": round_, "reason": ruling}, player)
                return
            winner = {"kind": "bingo-winner", "round": state.round, "player": player, "line": line}
            winner.update(card=[int(n) for n in message["card"]], salt=message["salt"])
            self.on_winner(winner)
            await self.ably.send_message(winner)
