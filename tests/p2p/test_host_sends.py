"""The Python host's messages to one peer under Ably's rate limits (p2p/host_sends.py, the site's rule): an answer
refused for a rate goes again after the announce's back-off, with the snapshot as it is then; not once the peer has
left or this peer stopped hosting; a newer answer supersedes it. And on the emulator at its default limits, a flood
of a joiner's own inbox refuses the host's answer (42913), and the joiner still ends acknowledged."""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from ably import AblyRealtime
from ably.util.exceptions import AblyException

from api.token_policy import inbox_channel_for
from p2p.server import P2PServer
from p2p.site import Site
from p2p.words import WordStream

from .conftest import WAIT, Peers, Refused, eventually


class StubAbly:
    """Publishes settle as `answer(n)` says (an exception refuses); what is accepted is recorded."""

    client_id = "host"

    def __init__(self, answer: Callable[[int], Exception | None]) -> None:
        self.answer = answer
        self.tries = 0
        self.sent: list[tuple[dict[str, Any], str | None]] = []

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None:
        self.tries += 1
        if (error := self.answer(self.tries)) is not None:
            raise error
        self.sent.append((message, target_client_id))


class BackOffs:
    """Back-offs that wait until the test wakes them, recording how long each was."""

    def __init__(self) -> None:
        self.waits: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        self.waits.append((seconds, woken))
        await woken

    async def reached(self) -> float:
        """How long the next back-off is, once a send has reached it."""
        async with asyncio.timeout(WAIT):
            while not self.waits:  # noqa: ASYNC110 - the send reaches its back-off on its own task
                await asyncio.sleep(0)
        return self.waits[0][0]

    async def wake(self) -> None:
        await self.reached()
        self.waits.pop(0)[1].set_result(None)


def server_of(answer: Callable[[int], Exception | None]) -> tuple[P2PServer, StubAbly, BackOffs]:
    ably, back_offs = StubAbly(answer), BackOffs()
    server = P2PServer(ably, {"words": WordStream(ably)}, retry_sleep=back_offs.sleep)
    server.players_changed([{"clientId": "jo"}])
    return server, ably, back_offs


async def test_an_answer_refused_for_the_inboxs_rate_goes_again_with_the_snapshot_as_it_is_then():
    server, ably, back_offs = server_of(lambda n: Refused(42913) if n == 1 else None)
    answering = asyncio.ensure_future(server.answer_connected("jo"))
    assert 0.5 <= await back_offs.reached() <= 1.0
    server.parts["words"].words.append("The")  # type: ignore[attr-defined]
    await back_offs.wake()
    await asyncio.wait_for(answering, WAIT)
    assert ably.sent == [({"kind": "connection-acknowledged", "base": 0, "words": ["The"]}, "jo")]


async def test_an_answer_refused_for_a_peer_that_has_since_left_is_not_sent_again():
    server, ably, back_offs = server_of(lambda n: Refused(42913))
    sending = asyncio.ensure_future(server.send_to("jo", "bingo-card", {"round": 1}))
    await back_offs.reached()
    server.players_changed([])
    await back_offs.wake()
    await asyncio.wait_for(sending, WAIT)
    assert (ably.tries, ably.sent) == (1, [])


async def test_an_answer_refused_after_this_peer_stopped_hosting_is_not_sent_again():
    server, ably, back_offs = server_of(lambda n: Refused(42911))
    sending = asyncio.ensure_future(server.send_to("jo", "connection-acknowledged", {}))
    await back_offs.reached()
    server.stop()
    await back_offs.wake()
    await asyncio.wait_for(sending, WAIT)
    assert ably.tries == 1


async def test_a_newer_message_of_the_same_kind_to_the_same_peer_supersedes_a_refused_one():
    server, ably, back_offs = server_of(lambda n: Refused(42913) if n == 1 else None)
    first = asyncio.ensure_future(server.send_to("jo", "bingo-card", {"round": 1}))
    await back_offs.reached()
    await server.send_to("jo", "bingo-card", {"round": 2})
    await back_offs.wake()
    await asyncio.wait_for(first, WAIT)
    assert ably.sent == [({"kind": "bingo-card", "round": 2}, "jo")]
    assert server.sends.pending == {}


async def test_any_other_refusal_is_the_callers_and_not_sent_again():
    server, ably, _ = server_of(lambda n: Refused(40160))
    with pytest.raises(Refused):
        await server.send_to("jo", "bingo-card", {"round": 1})
    assert ably.tries == 1


FLOODERS = 3
FLOODS_EACH = 8  # publishes each flooder keeps under way


async def flood(realtime: AblyRealtime, inbox: str, codes: list[int], stop: asyncio.Event) -> None:
    """Publish to `inbox` back to back until `stop`, recording the codes of what Ably refuses."""
    channel = realtime.channels.get(inbox)
    while not stop.is_set():
        try:
            await channel.publish("chat", {})
        except AblyException as error:
            codes.append(error.code)


async def test_a_joiner_whose_own_inbox_is_flooded_ends_acknowledged_as_a_refused_answer_goes_again(peers: Peers):
    hana = await peers.join("flooded", "Hana")
    refused_to_jo: list[str] = []
    send = hana.ably.send_message

    async def recording(message: dict[str, Any], target: str | None = None) -> None:
        try:
            await send(message, target)
        except AblyException as error:
            refused_to_jo.append(f"{message['kind']} {error.code}")
            raise

    hana.ably.send_message = recording  # type: ignore[method-assign]
    # Hostile players, each with the app's token: publish on every inbox of the session.
    sites = [Site(peers.url) for _ in range(FLOODERS)]
    peers.sites.extend(sites)
    flooders = [await site.realtime_for("flooded") for site in sites]
    codes: list[int] = []
    stop = asyncio.Event()
    floods: list[asyncio.Future[None]] = []
    jo = peers.new("flooded", "Jo")
    connect = jo.ably.create_realtime

    async def connect_once_flooded(session_id: str) -> AblyRealtime:
        """Jo's client, returned (so Jo asks the host) once the flood has used up Jo's inbox's rate."""
        realtime = await connect(session_id)
        await realtime.connection.once_async("connected")
        inbox = inbox_channel_for(session_id, realtime.auth.client_id)
        for flooder in flooders:
            floods.extend(asyncio.ensure_future(flood(flooder, inbox, codes, stop)) for _ in range(FLOODS_EACH))
        async with asyncio.timeout(WAIT):
            while 42913 not in codes:  # noqa: ASYNC110 - the flood runs on its own tasks
                await asyncio.sleep(0.02)
        asyncio.get_running_loop().call_later(3.0, stop.set)  # the flood lasts 3 s more
        return realtime

    jo.ably.create_realtime = connect_once_flooded
    try:
        await asyncio.wait_for(jo.start(), WAIT)
        await eventually(lambda: jo.state.status == "acknowledged", "Jo acknowledged by the host", timeout=20)
    finally:
        stop.set()
        await asyncio.gather(*floods)
        for flooder in flooders:
            with contextlib.suppress(Exception):
                await flooder.close()
    # Nearly always the host's first answer meets an empty inbox rate and goes again; a refill can let it through
    # first time (a loaded machine slows the flood), so that is printed, not asserted (the tests above are exact).
    print(f"the host's messages to Jo refused: {', '.join(refused_to_jo) or 'none'}")
    assert jo.state.host_client_id == hana.ably.client_id
