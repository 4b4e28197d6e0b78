"""Python peers against a dev host in this process (the emulator, the site's own token endpoint): no browser."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from devserver import DevServer
from p2p.session import P2PSession
from p2p.site import Site

WAIT = 10.0


async def eventually(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Wait for a condition of the peers' state, with a bound, failing with what never happened."""

    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - the peers' state changes on their own tasks
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


@contextlib.asynccontextmanager
async def dev_host(**emulator_settings: float) -> AsyncIterator[DevServer]:
    async with DevServer(port=0, force_emulator=True, emulator_settings=emulator_settings) as server:
        yield server


@pytest.fixture
async def dev() -> AsyncIterator[DevServer]:
    async with dev_host(presence_leave_timeout=1.0) as server:
        yield server


class Refused(Exception):
    """What Ably raises when it refuses a publish with `code` (e.g. 42913 for a channel's rate), for the unit tests'
    stubs."""

    def __init__(self, code: int) -> None:
        super().__init__(f"refused ({code})")
        self.code = code


class Peers:
    """Python peers on one site; each has its own Site (own peer secret); all leave at the end of the test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sessions: list[P2PSession] = []
        self.sites: list[Site] = []

    def new(
        self,
        session_id: str,
        name: str,
        word_interval: float = 0.05,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> P2PSession:
        """`sleep`: the host's clock between words and bingo calls."""
        site = Site(self.url)
        self.sites.append(site)
        session = P2PSession(
            session_id, site.realtime_for, friendly_name=name, word_interval=word_interval, sleep=sleep
        )
        self.sessions.append(session)
        return session

    async def join(
        self,
        session_id: str,
        name: str,
        word_interval: float = 0.05,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> P2PSession:
        return await asyncio.wait_for(self.new(session_id, name, word_interval, sleep).start(), WAIT)

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        for site in self.sites:
            await site.close()


@pytest.fixture
async def peers(dev: DevServer) -> AsyncIterator[Peers]:
    assert dev.url
    group = Peers(dev.url)
    yield group
    await group.close()
