"""The host's side of a session (site/p2p.lib.server.js): answers `connected` with the snapshot every feature's
part gives (p2p/feature.py: the word stream's phrase, bingo's round). What the host sends one peer goes through its
HostSends (p2p/host_sends.py): sent again if Ably refuses it for a rate."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .feature import HostPart, Sender
from .host_sends import HostSends, Payload
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
        retry_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`parts`: one per feature, by name; `retry_sleep`: the clock of a message to one peer sent again."""
        self.ably = ably
        self.parts = dict(parts)
        self.connected_interval = connected_interval
        self.sleep = sleep
        self.now = now
        self.stopped = False
        # clientId → when its `connected` was last answered, and the coalesced answer still to come.
        self.answered: dict[str, tuple[float, asyncio.Task[None] | None]] = {}
        # The roster's clientIds, once told (players_changed): a message refused for a rate goes again while its peer
        # is in it. Until then, while this peer hosts.
        self.players: set[str] | None = None
        self.sends = HostSends(ably, self._worth_sending, sleep=retry_sleep)

    def _worth_sending(self, client_id: str) -> bool:
        return not self.stopped and (self.players is None or client_id in self.players)

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
            self.players = {player["clientId"] for player in players}
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
        """The snapshot as it is when sent: one sent again after a refusal carries the latest state."""
        await self.send_to(client_id, "connection-acknowledged", self.snapshot)
        for part in self.parts.values():
            await part.connected(client_id)

    async def send_to(self, client_id: str, kind: str, payload: Payload) -> None:
        """Send `kind` to one peer's inbox, again if Ably refuses it for a rate, while the peer is in the roster and
        this peer hosts (HostSends.send: `payload` may be a function, called at each try)."""
        await self.sends.send(client_id, kind, payload)

    def stop(self) -> None:
        """Stop hosting: answer nothing more, and stop every part."""
        self.stopped = True
        for part in self.parts.values():
            part.stop()
