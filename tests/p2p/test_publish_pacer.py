"""The Python peer's publishes stay under Ably's 50 a second, in order, as the site's do (one rule: the same
numbers as site/publish-pacer.js)."""

import asyncio
import re
from pathlib import Path

from p2p.publish_pacer import PublishPacer
from p2p.rules import PUBLISH_BURST, PUBLISH_RATE

SITE_PACER = Path(__file__).resolve().parents[2] / "site" / "publish-pacer.js"
ABLY_RATE = 50


class FakeClock:
    """Sleeping moves the clock, so the times of the takes are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_a_burst_goes_a_few_at_once_then_under_ablys_50_a_second_in_order():
    clock = FakeClock()
    pacer = PublishPacer(clock=clock, sleep=clock.sleep)
    times: list[tuple[int, float]] = []

    async def publish(index: int) -> None:
        await pacer.take()
        times.append((index, clock.now))

    await asyncio.gather(*(publish(index) for index in range(200)))

    assert [index for index, _ in times] == list(range(200))
    assert all(at == 0 for _, at in times[:PUBLISH_BURST])
    for _, start in times:
        assert sum(1 for _, at in times if start <= at < start + 1) <= ABLY_RATE


def test_the_numbers_are_the_sites():
    site = SITE_PACER.read_text()
    assert re.search(rf"export const PUBLISH_BURST = {PUBLISH_BURST};", site)
    assert re.search(rf"export const PUBLISH_RATE = {PUBLISH_RATE};", site)
