"""When a peer asks the host for its snapshot, and when it asks again (site/announce-pacing.js, the same rule and
numbers, from p2p/rules.py): the host's inbox is one channel, which Ably refuses beyond 50 publishes a second (42913),
so after a host change a big roster's announces are spread at random, and one refused for a rate goes again later,
while the peer still awaits that host."""

import asyncio
import random as randoms
from collections.abc import Awaitable, Callable
from typing import Any

from .rules import ANNOUNCE_AT_ONCE, ANNOUNCE_RATE, RATE_LIMIT_CODES, RETRY_FIRST_S, RETRY_MAX_S


def is_rate_limited(error: BaseException) -> bool:
    """Whether Ably refused a publish for a rate (nonfatally), so the same publish may go later."""
    return getattr(error, "code", None) in RATE_LIMIT_CODES


def spread_delay(players: int, random: Callable[[], float] = randoms.random) -> float:
    """Seconds to wait at random before re-announcing to a new host: within max(0, players - 25) / 25 s."""
    return max(0, players - ANNOUNCE_AT_ONCE) / ANNOUNCE_RATE * random()


def retry_delay(refusals: int, random: Callable[[], float] = randoms.random) -> float:
    """Seconds to wait after refusal number `refusals` (1 for the first): in the later half of a window doubling
    from RETRY_FIRST_S to RETRY_MAX_S, so asks spread out yet come at most two a second, then one every 4 s."""
    window = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (refusals - 1))
    return window * (1 + random()) / 2


class AnnouncePacing:
    """One peer's asks of its host: the latest one goes on, an earlier one stops at its next wait."""

    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = randoms.random,
    ) -> None:
        """Tests pass a fake clock."""
        self.sleep = sleep
        self.random = random
        self.latest: object | None = None

    async def announce(
        self, ask: Callable[[], Awaitable[Any]], awaiting: Callable[[], bool], spread_over: int = 0
    ) -> None:
        """Ask after the spread for a roster of `spread_over` players (0: at once), and again after each rate-limit
        refusal, while `awaiting()` holds and no later call was made. Raises any other error of `ask()`."""
        turn = self.latest = object()

        def go_on() -> bool:
            return self.latest is turn and awaiting()

        if (spread := spread_delay(spread_over, self.random)) > 0:
            await self.sleep(spread)
            if not go_on():
                return
        refusals = 0
        while True:
            try:
                await ask()
                return
            except Exception as error:
                if not is_rate_limited(error):
                    raise
            refusals += 1
            await self.sleep(retry_delay(refusals, self.random))
            if not go_on():
                return
