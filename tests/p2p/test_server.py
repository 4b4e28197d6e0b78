"""The Python host's answer rate: one snapshot per peer per second, however often it asks (docs/protocol.md)."""

import asyncio

from p2p.server import P2PServer

from ..protocol.test_vectors import RecordingSender


class Clock:
    """A clock the test moves; `sleep` waits until the test has moved it far enough."""

    def __init__(self) -> None:
        self.now = 0.0
        self.moved = asyncio.Event()
        self.sleepers = 0

    async def sleep(self, seconds: float) -> None:
        self.sleepers += 1
        until = self.now + seconds
        while self.now < until:
            self.moved.clear()
            await self.moved.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.moved.set()


def connected(client_id: str) -> dict:
    return {"kind": "connected", "from": client_id, "via": "inbox"}


async def test_a_flood_of_connected_from_one_peer_gets_one_answer_now_and_one_when_the_second_ends():
    clock, sender = Clock(), RecordingSender()
    server = P2PServer(sender, {}, now=lambda: clock.now, sleep=clock.sleep)
    await server.on_connected(connected("pat"))
    repeats = [asyncio.ensure_future(server.on_connected(connected("pat"))) for _ in range(50)]
    await asyncio.sleep(0)
    await server.on_connected(connected("kim"))
    assert [target for _, target in sender.sent] == ["pat", "kim"]
    while not clock.sleepers:  # noqa: ASYNC110 - the coalesced answer's timer starts on the next turn of the loop
        await asyncio.sleep(0)
    assert clock.sleepers == 1
    clock.advance(1.0)
    await asyncio.wait_for(asyncio.gather(*repeats), 5)
    assert [target for _, target in sender.sent] == ["pat", "kim", "pat"]
