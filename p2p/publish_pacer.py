"""How fast one peer publishes (site/publish-pacer.js PublishPacer): Ably refuses a connection's publishes beyond
50 a second (42911), and a host publishes in bursts (snapshots for a crowd of joiners, a bingo round's cards), so
every publish takes a token first: PUBLISH_BURST at once, then PUBLISH_RATE a second. Publishes keep their order."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from .rules import PUBLISH_BURST, PUBLISH_RATE


class PublishPacer:
    def __init__(
        self,
        burst: float = PUBLISH_BURST,
        rate: float = PUBLISH_RATE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self.tokens = float(burst)
        self.at = clock()
        self.turns = asyncio.Lock()  # FIFO: publishes go in the order they asked

    async def take(self) -> None:
        """Return when this publish may go, after every earlier one: at once while the bucket holds a token."""
        async with self.turns:
            self._refill()
            if self.tokens < 1:
                await self.sleep((1 - self.tokens) / self.rate)  # a token is due by then
                self._refill()
            self.tokens = max(0.0, self.tokens - 1)

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
