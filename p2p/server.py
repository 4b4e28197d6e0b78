"""The host's side of a session (site/p2p.lib.server.js): answers `connected` with the snapshot every feature's
part gives (p2p/feature.py: the word stream's phrase, bingo's round)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .feature import HostPart, Sender
from .rules import CONNECTED_INTERVAL_S

# kind, from and via: what every received message has before its payload.
RECEIVED_FIELDS = 3


class P2PServer:
    """Only the elected host runs one, its parts made from what it mirrored: it goes on from where the last was."""

    def __init__(
        self,
        ably: Sender,
        parts: Mapping[str, HostPart],
        connected_interval: float = CONNECTED_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        """`parts`: one per feature, by name."""
        self.ably = ably
        self.parts = dict(parts)
        self.connected_interval = connected_interval
        self.sleep = sleep
        self.now = now
        self.stopped = False
        # clientId → when its `connected` was last answered, and the coalesced answer still to come.
        self.answered: dict[str, tuple[float, asyncio.Task[None] | None]] = {}

    def snapshot(self) -> dict[str, Any]:
        """Every part's fields (the current phrase; bingo's round, if any)."""
        return {key: value for part in self.parts.values() for key, value in part.snapshot().items()}

    async def on_connected(self, message: dict[str, Any]) -> None:
        """A peer joined or lost track (`connected`, no payload): answer with the snapshot."""
        sender = message.get("from")
        if not self.stopped and isinstance(sender, str) and sender and len(message) == RECEIVED_FIELDS:
            await self.answer_connected(sender)

    def players_changed(self, players: list[dict[str, Any]]) -> None:
        """The roster changed (or this peer was just elected): the parts that care deal a newcomer in."""
        if not self.stopped:
            for part in self.parts.values():
                part.players_changed(players)

    async def answer_connected(self, client_id: str) -> None:
        """At most one snapshot per clientId per interval; repeats within it share one answer at its end."""
        now = self.now()
        for known, (at, trailing) in list(self.answered.items()):
            if trailing is None and now - at >= self.connected_interval:
                del self.answered[known]
        if client_id not in self.answered:
            self.answered[client_id] = (now, None)
            await self.send_snapshot(client_id)
            return
        at, trailing = self.answered[client_id]
        if trailing is None:
            trailing = asyncio.ensure_future(self._answer_later(client_id, at + self.connected_interval - now))
            self.answered[client_id] = (at, trailing)
        await asyncio.shield(trailing)

    async def _answer_later(self, client_id: str, delay: float) -> None:
        await self.sleep(delay)
        self.answered[client_id] = (self.now(), None)
        if not self.stopped:
            await self.send_snapshot(client_id)

    async def send_snapshot(self, client_id: str) -> None:
        await self.ably.send_message({"kind": "connection-acknowledged", **self.snapshot()}, client_id)
        for part in self.parts.values():
            await part.connected(client_id)

    def stop(self) -> None:
        """Stop hosting: answer nothing more, and stop every part."""
        self.stopped = True
        for part in self.parts.values():
            part.stop()
