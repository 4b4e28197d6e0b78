"""The host's side of a session (site/p2p.lib.server.js): answers `connected` with the snapshot its parts make up,
and hands the kinds only a host handles (a bingo claim) to their part."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

from .hosted import ANYONE, INBOX, Kind, Part, Sender, dispatch
from .rules import CONNECTED_INTERVAL_S

# kind, from and via: what every received message has before its payload.
RECEIVED_FIELDS = 3


class P2PServer(Part):
    """Only the elected host runs one, over the same parts that mirrored the previous host: it continues from them."""

    host_kinds: ClassVar[Mapping[str, Kind]] = {"connected": Kind(ANYONE, INBOX, "on_connected_message")}

    def __init__(
        self,
        ably: Sender,
        parts: Sequence[Part],
        connected_interval: float = CONNECTED_INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ably = ably
        self.parts = list(parts)
        self.connected_interval = connected_interval
        self.sleep = sleep
        self.now = now
        self.stopped = False
        # clientId → when its `connected` was last answered, and the coalesced answer still to come.
        self.answered: dict[str, tuple[float, asyncio.Task[None] | None]] = {}
        self.table = {kind: (row, part) for part in [self, *self.parts] for kind, row in part.host_kinds.items()}

    def snapshot(self) -> dict[str, Any]:
        """Every part's field(s) (the current phrase; bingo's round, if any)."""
        return {key: value for part in self.parts for key, value in part.snapshot().items()}

    async def on_receive_message(self, message: dict[str, Any]) -> None:
        """A message of a kind only the host handles, if admitted (p2p/hosted.py)."""
        if not self.stopped:
            await dispatch(self.table, message, None)

    async def on_connected_message(self, message: dict[str, Any]) -> None:
        """A peer joined or lost track (`connected`, no payload): answer with the snapshot."""
        sender = message.get("from")
        if isinstance(sender, str) and sender and len(message) == RECEIVED_FIELDS:
            await self.answer_connected(sender)

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
        for part in self.parts:
            await part.on_connected(client_id)

    def stop(self) -> None:
        """Stop hosting: answer nothing more."""
        self.stopped = True
