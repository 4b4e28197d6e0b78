"""The Python peer's announces under Ably's rate limits, as the site's (one rule: p2p/announce_pacing.py with the
numbers of site/announce-pacing.js): an announce refused for a rate goes again, later each time, until the host
answers or another host is elected; after a host change a big roster spreads its announces, a small one does not."""

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from p2p.announce_pacing import AnnouncePacing
from p2p.client import P2PClient
from p2p.rules import ANNOUNCE_AT_ONCE, ANNOUNCE_RATE, RATE_LIMIT_CODES, RETRY_FIRST_S, RETRY_MAX_S

from .conftest import Refused

SITE_PACING = Path(__file__).resolve().parents[2] / "site" / "announce-pacing.js"


class StubAbly:
    """Publishes settle as `answer(asks so far, target)` says (an exception is raised)."""

    client_id = "me"

    def __init__(self, answer: Callable[[int, str | None], Exception | None]) -> None:
        self.answer = answer
        self.asks: list[str | None] = []

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None:
        assert message == {"kind": "connected"}
        self.asks.append(target_client_id)
        if (error := self.answer(len(self.asks), target_client_id)) is not None:
            raise error


def client_of(
    answer: Callable[[int, str | None], Exception | None] = lambda n, to: None,
    on_sleep: Callable[[P2PClient], None] = lambda client: None,
    players: int = 2,
) -> tuple[P2PClient, StubAbly, list[float]]:
    """A client awaiting host-a; its waits are recorded and pass at once, after `on_sleep(client)`."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        on_sleep(client)
        await asyncio.sleep(0)  # what on_sleep started has its turn

    ably = StubAbly(answer)
    client = P2PClient(ably, pacing=AnnouncePacing(sleep=sleep))
    client.state.status = "acknowledged"
    client.state.host_client_id = "host-a"
    client.state.players = [{"clientId": f"p{i}"} for i in range(players)]
    return client, ably, sleeps


async def test_an_announce_refused_twice_for_the_channels_rate_goes_again_and_the_answer_acknowledges():
    client, ably, sleeps = client_of(lambda n, to: Refused(42913) if n <= 2 else None)

    await client.announce()

    assert ably.asks == ["host-a"] * 3
    assert 0.5 <= sleeps[0] <= 1
    assert 1 <= sleeps[1] <= 2
    assert client.state.status == "awaiting-acknowledgement"
    client.on_snapshot({"base": 0, "words": []})
    assert client.state.status == "acknowledged"


async def test_each_rate_limit_refusal_is_asked_again_and_the_waits_stop_doubling_at_8_s():
    codes = [42910, 42911, 42913, 42922, 42913, 42913, 42913]
    client, ably, sleeps = client_of(lambda n, to: Refused(codes[n - 1]) if n <= len(codes) else None)

    await client.announce()

    assert len(ably.asks) == len(codes) + 1
    assert all(seconds <= 8 for seconds in sleeps)
    assert all(seconds >= 4 for seconds in sleeps[3:])


async def test_a_host_elected_while_waiting_to_ask_again_ends_the_asks_to_the_old_one():
    elected: list[asyncio.Task[None]] = []

    def elect(client: P2PClient) -> None:
        if not elected:  # as the session does on the election: the new host is asked in the background
            client.state.host_client_id = "host-b"
            elected.append(asyncio.ensure_future(client.announce()))

    client, ably, _ = client_of(lambda n, to: Refused(42913) if to == "host-a" else None, elect)

    await client.announce()
    await asyncio.wait_for(elected[0], 5)

    assert ably.asks == ["host-a", "host-b"]
    assert client.announced_to == "host-b"


async def test_an_answer_while_waiting_to_ask_again_ends_the_asks():
    client, ably, _ = client_of(
        lambda n, to: Refused(42913), lambda client: client.on_snapshot({"base": 0, "words": []})
    )

    await client.announce()

    assert ably.asks == ["host-a"]
    assert client.state.status == "acknowledged"


async def test_a_refusal_that_is_not_a_rate_limit_is_the_callers():
    client, ably, _ = client_of(lambda n, to: Refused(40160))

    with pytest.raises(Refused):
        await client.announce()
    assert ably.asks == ["host-a"]
    assert client.announced_to is None  # the next roster change asks again


async def test_after_a_host_change_a_big_roster_waits_at_random_before_announcing_a_small_one_not_at_all():
    big, big_ably, big_sleeps = client_of(players=100)
    await big.announce(spread=True)
    assert len(big_sleeps) == 1
    assert big_sleeps[0] <= 3
    assert big_ably.asks == ["host-a"]

    small, small_ably, small_sleeps = client_of(players=ANNOUNCE_AT_ONCE)
    await small.announce(spread=True)
    assert small_sleeps == []
    assert small_ably.asks == ["host-a"]


def test_the_numbers_are_the_sites():
    site = SITE_PACING.read_text()
    assert re.search(rf"export const ANNOUNCE_AT_ONCE = {ANNOUNCE_AT_ONCE};", site)
    assert re.search(rf"export const ANNOUNCE_RATE = {ANNOUNCE_RATE};", site)
    assert re.search(rf"export const RETRY_FIRST_MS = {RETRY_FIRST_S * 1000:.0f};", site)
    assert re.search(rf"export const RETRY_MAX_MS = {RETRY_MAX_S * 1000:.0f};", site)
    codes = re.search(r"export const RATE_LIMIT_CODES = Object.freeze\(\[([\d, ]+)\]\);", site)
    assert codes
    assert {int(code) for code in codes.group(1).split(",")} == RATE_LIMIT_CODES
