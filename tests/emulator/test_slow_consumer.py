"""A client that does not read what is sent to it is disconnected once its backlog passes `max_outbound_bytes`
(DISCONNECTED 42920, Ably's fatal rate-limit close), cut if it still does not read, and costs its peers nothing:
they keep receiving everything. Without the bound, one such client grew the emulator by about 99 MB in 10 s.
"""

import aiohttp
import pytest

from emulator.transport import SLOW_CONSUMER_GRACE

from .bystander import Bystander
from .conftest import WAIT, RawClients, eventually
from .never_reader import NeverReader

ATTACH, ATTACHED, DISCONNECTED = 10, 11, 6
BOUND = 1024 * 1024
PADDING = 60_000
# The bystander must send megabytes within seconds (round trip after round trip) to fill the slow client's socket
# buffers: the backlog is under test, not the publish rate, so it is not held to Ably's 50 a second.
FAST_BYSTANDER = {"max_connection_publish_rate": 0, "max_channel_publish_rate": 0}


def connection_of(emulator, client_id: str):
    return next(connection for connection in emulator.world.connections.values() if connection.client_id == client_id)


@pytest.mark.emulator_config(max_outbound_bytes=BOUND, **FAST_BYSTANDER)
async def test_a_client_that_never_reads_is_cut_off_while_its_peers_on_the_channel_receive_everything(
    raw: RawClients, emulator
):
    token = (await raw.clients.token("sloth")).token
    sloth = await NeverReader.connect("127.0.0.1", emulator.port, token, "room")
    try:
        await eventually(lambda: "room" in connection_of(emulator, "sloth").channels, what="the sloth's attachment")
        sloth_connection = connection_of(emulator, "sloth")
        bystander = await Bystander.start(raw, channel="room", padding=PADDING)

        # 60 KB a round trip: the sloth's socket buffers fill, then its queue passes the bound.
        transport = sloth_connection.transport
        await eventually(lambda: transport.closing, timeout=60, what="the sloth to be taken for a slow consumer")
        await eventually(
            lambda: sloth_connection.transport is None,
            timeout=SLOW_CONSUMER_GRACE + 2 * WAIT,
            what="the sloth's TCP connection to be cut",
        )

        await bystander.check()
        assert bystander.sent * PADDING > BOUND, "the sloth was sent more than the bound"
        assert sloth_connection.state.value == "disconnected", "it may still resume, as after a network failure"
        assert emulator.controls.memory()["outbound_bytes"] < BOUND
    finally:
        sloth.close()


@pytest.mark.emulator_config(max_outbound_bytes=BOUND, **FAST_BYSTANDER)
async def test_a_client_that_reads_again_in_time_learns_why_it_was_disconnected(raw: RawClients, emulator):
    """aiohttp stops reading a socket whose messages nobody takes; once the bound is passed, this one reads on."""
    token = (await raw.clients.token("stalled")).token
    session = await raw.http()
    ws = await session.ws_connect(f"{emulator.url}/", params={"access_token": token, "format": "json", "v": "6"})
    try:
        await ws.send_json({"action": ATTACH, "channel": "room"})
        await eventually(lambda: "room" in connection_of(emulator, "stalled").channels, what="the attachment")
        transport = connection_of(emulator, "stalled").transport
        bystander = await Bystander.start(raw, channel="room", padding=PADDING)
        await eventually(lambda: transport.closing, timeout=60, what="the stalled client to pass the bound")

        last = None
        while (frame := await ws.receive(timeout=WAIT)).type is aiohttp.WSMsgType.TEXT:
            last = frame.json()
        assert last is not None
        assert last["action"] == DISCONNECTED
        assert (last["error"]["code"], last["error"]["statusCode"]) == (42920, 429)
        assert "did not read" in last["error"]["message"]
        await bystander.check()
    finally:
        await ws.close()
