"""The host's side of bingo (site/bingo/host.js; the kinds: docs/protocol.md): made from the round this peer
mirrored when it is elected, it deals (privately, on each player's inbox, publishing only the digests), calls numbers
at the pace, deals late joiners and verifies every claim against the digests and calls, so a newly elected host
continues the round where the last one left it: same cards, same calls, the next number after the pace."""

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from ..feature import HostPart
from .mirror import BingoMirror, digest_of
from .rules import DEFAULT_PACE_MS, MAX_DEALT, MAX_NUMBER, Round, is_pace, is_round, new_salt, random_card, verdict


def new_deal(round_: int) -> dict[str, Any]:
    """A new random card and salt for one player, as `bingo-card` carries it."""
    return {"round": round_, "card": random_card(), "salt": new_salt()}


class BingoHost(HostPart):
    """`round`: the host's own record (the mirror follows it through the host's messages). start_round(),
    set_pace()."""

    def __init__(self, session: Any, mirror: BingoMirror) -> None:
        """`session`: its `ably`, `state` (the roster), `sleep` (the pace's clock) and `tasks`."""
        self.session = session
        self.ably = session.ably
        self.round: Round | None = mirror.round.copy() if mirror.round is not None else None
        self.stopped = False
        self.lock = asyncio.Lock()  # one host action at a time: a deal, a call, a verdict
        self.resumed = asyncio.Event()
        self.caller: asyncio.Task[None] | None = None
        self.dealt_here: dict[str, dict[str, Any]] = {}  # the cards this host dealt, to send again on request
        self.judged: dict[str, tuple[int, int]] = {}  # player → (round, calls) of its last verdict
        for claim in mirror.held_claims.values():
            session.tasks.start("Could not judge a claim.", self.on_claim(claim))
        mirror.held_claims = {}
        self._resume()

    def snapshot(self) -> dict[str, Any]:
        return {"bingo": self.round.wire()} if self.round is not None else {}

    def stop(self) -> None:
        self.stopped = True
        if self.caller is not None:
            self.caller.cancel()

    async def start_round(self, pace_ms: int | None = None) -> None:
        """A new round (a rematch after a win): a new card for every player, then numbers called at the pace."""
        async with self.lock:
            number = (self.round.round if self.round else 0) + 1
            pace = pace_ms if pace_ms is not None else (self.round.pace_ms if self.round else DEFAULT_PACE_MS)
            if self.stopped or not is_pace(pace):
                raise RuntimeError("Only the host starts a round, at a pace of 250 ms to 10 s.")
            cards = {player["clientId"]: new_deal(number) for player in self.session.state.players[:MAX_DEALT]}
            dealt = {player: digest_of(player, card) for player, card in cards.items()}
            self.round, self.dealt_here, self.judged = Round(number, "playing", pace, [], dealt), cards, {}
            await self.ably.send_message(
                {"kind": "bingo-round", "round": number, "paceMs": pace, "dealt": self.round.wire()["dealt"]}
            )
            for player, card in cards.items():
                self._send_to(player, {"kind": "bingo-card", **card})
        self._resume()

    async def set_pace(self, pace_ms: int, paused: bool) -> None:
        """Faster, slower, pause or resume."""
        state = self.round
        if self.stopped or state is None or state.phase == "won" or not is_pace(pace_ms):
            raise RuntimeError("Only the host of a round under way sets its pace, within 250 ms to 10 s.")
        state.pace_ms, state.phase = pace_ms, "paused" if paused else "playing"
        await self.ably.send_message({"kind": "bingo-pace", "round": state.round, "paceMs": pace_ms, "paused": paused})
        self._resume()

    def _resume(self) -> None:
        """Start calling (or wake the caller) while a round is playing."""
        if self.stopped or self.round is None or self.round.phase != "playing":
            return
        self.resumed.set()
        if self.caller is None or self.caller.done():
            self.caller = self.session.tasks.start("Could not call the next number.", self._call_numbers())

    async def _call_numbers(self) -> None:
        """Every `paceMs`, a number not called yet; until 75 are called or the round is won."""
        while not self.stopped and (state := self.round) is not None and state.phase != "won":
            if len(state.calls) >= MAX_NUMBER:
                return
            if state.phase == "paused":
                self.resumed.clear()
                await self.resumed.wait()
                continue
            await self.session.sleep(state.pace_ms / 1000)
            async with self.lock:
                if (
                    self.stopped
                    or self.round is not state
                    or state.phase != "playing"
                    or len(state.calls) >= MAX_NUMBER
                ):
                    continue
                number = secrets.choice([n for n in range(1, MAX_NUMBER + 1) if n not in state.calls])
                index = len(state.calls)
                state.calls.append(number)
                await self.ably.send_message(
                    {"kind": "bingo-call", "round": state.round, "index": index, "number": number}
                )

    def _send_to(self, player: str, message: dict[str, Any]) -> None:
        """A message to one player, on its own: one refused for its inbox's rate goes again later (session.send),
        without holding up the round meanwhile."""
        self.session.tasks.start(f"Could not send {message['kind']} to a player.", self.session.send(message, player))

    def players_changed(self, players: list[dict[str, Any]]) -> None:
        self.session.tasks.start("Could not deal a late joiner.", self._deal_missing(players))

    async def _deal_missing(self, players: list[dict[str, Any]]) -> None:
        """Deal every player who has no card in a round under way (a late joiner)."""
        async with self.lock:
            state = self.round
            if self.stopped or state is None or state.phase == "won":
                return
            for player in [p["clientId"] for p in players if p["clientId"] not in state.dealt]:
                if len(state.dealt) >= MAX_DEALT:
                    return
                card = new_deal(state.round)
                state.dealt[player] = digest = digest_of(player, card)
                self.dealt_here[player] = card
                await self.ably.send_message(
                    {"kind": "bingo-dealt", "round": state.round, "player": player, "digest": digest}
                )
                self._send_to(player, {"kind": "bingo-card", **card})

    async def connected(self, client_id: str) -> None:
        """A player this host dealt asked for the snapshot (it reloaded or lost track): its card again."""
        card = self.dealt_here.get(client_id)
        if not self.stopped and card is not None and self.round is not None and card["round"] == self.round.round:
            self._send_to(client_id, {"kind": "bingo-card", **card})

    async def on_claim(self, message: Mapping[str, Any]) -> None:
        """Verify a claim against the digests and calls: at most one verdict per player per call."""
        player = message.get("from")
        if self.stopped or not isinstance(player, str):
            return
        async with self.lock:
            state = self.round
            if state is None or self.judged.get(player) == (state.round, len(state.calls)):
                return
            self.judged[player] = (state.round, len(state.calls))
            ruling, line = verdict(state, player, message)
            if ruling != "winner":
                claimed = message.get("round")
                round_ = claimed if is_round(claimed) else state.round
                self._send_to(player, {"kind": "bingo-refused", "round": round_, "reason": ruling})
                return
            winner = {
                "player": player,
                "card": [int(n) for n in message["card"]],
                "salt": message["salt"],
                "line": line,
            }
            state.winner, state.phase = winner, "won"
            await self.ably.send_message({"kind": "bingo-winner", "round": state.round, **winner})
