"""The host's messages to one peer, on that peer's inbox (site/host-sends.js, the same rule): the snapshot answering
its `connected`, its bingo card, a verdict. Any player may publish to any inbox, so a hostile one can use up a
joiner's inbox rate (Ably refuses a channel's publishes beyond 50 a second, 42913), and an answer refused once would
leave the joiner awaiting the host for ever. So a message refused for a rate goes again after the announce's
back-off (announce_pacing.py: the same codes and windows) while that peer is in the roster and this peer hosts; a
newer message of the same kind to the same peer supersedes it."""

import asyncio
import random as randoms
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .announce_pacing import AnnouncePacing
from .feature import Sender

Payload = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


class HostSends:
    """`go_on(client_id)`: whether a refused message to that peer is still worth sending."""

    def __init__(
        self,
        ably: Sender,
        go_on: Callable[[str], bool],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = randoms.random,
    ) -> None:
        """Tests pass a fake clock."""
        self.ably = ably
        self.go_on = go_on
        self.sleep = sleep
        self.random = random
        # (clientId, kind) → the pacing of its messages under way (the latest goes on, an earlier one stops at its
        # next wait), and how many are.
        self.pending: dict[tuple[str, str], tuple[AnnouncePacing, int]] = {}

    async def send(self, client_id: str, kind: str, payload: Payload) -> None:
        """Send `kind` to `client_id`'s inbox, again after each rate-limit refusal while `go_on(client_id)` and no
        newer message of that kind went to that peer. `payload` may be a function, called at each try, so that a
        message sent again carries the state as it is then (the latest snapshot). Raises Ably's other errors."""
        key = (client_id, kind)
        pacing, under_way = self.pending.get(key) or (AnnouncePacing(self.sleep, self.random), 0)
        self.pending[key] = (pacing, under_way + 1)

        async def publish() -> None:
            fields = payload() if callable(payload) else payload
            await self.ably.send_message({**fields, "kind": kind}, client_id)

        try:
            await pacing.announce(publish, lambda: self.go_on(client_id))
        finally:
            pacing, under_way = self.pending[key]
            if under_way > 1:
                self.pending[key] = (pacing, under_way - 1)
            else:
                del self.pending[key]
