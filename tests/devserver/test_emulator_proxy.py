"""The dev host carries a crowd to its emulator: well over 100 pages' WebSockets at once with REST still answering,
a session filled to Ably's 200-member presence limit, and a frame over the emulator's maxFrameSize refused from its
header (1009) rather than buffered and relayed."""

import asyncio
import base64
import json
import os
import struct

import aiohttp
import pytest
from yarl import URL

from tests.devserver.conftest import dev_server

CONNECTED, ACK, NACK, ATTACH, ATTACHED, PRESENCE, MESSAGE = 4, 1, 2, 10, 11, 14, 15
ENTER = 2
MESSAGE_TOO_BIG = 1009
TOO_MANY_PRESENCE_MEMBERS = 91003
ABLY_REST = {"X-Ably-Version": "2"}
PAGES = 150  # well over aiohttp's default of 100 connections per client session
PRESENCE_LIMIT = 200  # Ably's presence members per channel, the emulator's default


@pytest.fixture
async def crowd_server(site_dir, clean_settings):
    """A dev host whose emulator lets a crowd connect at once: what the dev host carries is under test, not Ably's
    rate of new connections (42 a second on the Free plan, tests/emulator/test_rate_limits.py)."""
    async with dev_server(site_dir, clean_settings, emulator_settings={"max_new_connection_rate": 0}) as server:
        yield server


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


async def open_page(http: aiohttp.ClientSession, url: str, key: str, client_id: str) -> aiohttp.ClientWebSocketResponse:
    """A page's realtime connection through the dev host's port, once CONNECTED."""
    ws = await http.ws_connect(f"{url}/?key={key}&clientId={client_id}&format=json&v=5&heartbeats=false&echo=false")
    assert (await ws.receive_json(timeout=20))["action"] == CONNECTED
    return ws


async def reply(ws: aiohttp.ClientWebSocketResponse, *actions: int) -> dict:
    """The next frame with one of `actions`, skipping the presence and sync traffic of a busy channel."""
    while True:
        frame = await ws.receive_json(timeout=20)
        if frame["action"] in actions:
            return frame


async def test_rest_keeps_answering_while_150_pages_hold_websockets_through_the_dev_host(http, crowd_server):
    url, key = crowd_server.url, crowd_server.emulator.key
    pages = await asyncio.gather(*(open_page(http, url, key, f"page-{n}") for n in range(PAGES)))
    try:
        async with http.get(url + "/time", headers=ABLY_REST) as response:
            assert response.status == 200
            assert isinstance((await response.json())[0], int)
        async with http.get(url + "/api/createTokenRequest?session=crowd") as response:
            assert response.status == 200
        assert len(crowd_server.emulator.controls.connections()) == PAGES
    finally:
        await asyncio.gather(*(page.close() for page in pages))


async def test_a_session_through_the_dev_host_fills_to_ablys_presence_limit_and_refuses_one_more_member(
    http, crowd_server
):
    url, key = crowd_server.url, crowd_server.emulator.key
    channel = "p2p:full-house"

    async def join(n: int) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
        page = await open_page(http, url, key, f"member-{n}")
        await page.send_json({"action": ATTACH, "channel": channel})
        await reply(page, ATTACHED)
        await page.send_json({"action": PRESENCE, "channel": channel, "msgSerial": 0, "presence": [{"action": ENTER}]})
        return page, await reply(page, ACK, NACK)

    joined: list[tuple[aiohttp.ClientWebSocketResponse, dict]] = []
    drains = []
    try:
        for start in range(0, PRESENCE_LIMIT, 50):
            batch = await asyncio.gather(*(join(n) for n in range(start, start + 50)))
            joined += batch
            drains += [asyncio.create_task(drain(page)) for page, _ in batch]  # members hear every later enter
        assert [answer["action"] for _, answer in joined] == [ACK] * PRESENCE_LIMIT
        late, refusal = await join(PRESENCE_LIMIT)
        joined.append((late, refusal))
        assert (refusal["action"], refusal["error"]["code"]) == (NACK, TOO_MANY_PRESENCE_MEMBERS)
    finally:
        await asyncio.gather(*(page.close() for page, _ in joined))
        await asyncio.gather(*drains)


async def drain(page: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in page:
        pass


@pytest.fixture
async def small_frames(site_dir, clean_settings):
    """A dev host whose emulator advertises a maxFrameSize of 2 KiB."""
    async with dev_server(site_dir, clean_settings, emulator_settings={"max_frame_size": 2048}) as server:
        yield server


def message_frame(size: int) -> str:
    """A MESSAGE ProtocolMessage of exactly `size` bytes."""
    frame = {"action": MESSAGE, "channel": "p2p:frames", "msgSerial": 0, "messages": [{"data": ""}]}
    frame["messages"][0]["data"] = "x" * (size - len(json.dumps(frame)))
    return json.dumps(frame)


async def test_a_frame_of_max_frame_size_reaches_the_emulator_and_one_byte_more_closes_the_page_with_1009(
    http, small_frames
):
    page = await open_page(http, small_frames.url, small_frames.emulator.key, "sender")
    await page.send_str(message_frame(2048))
    assert (await reply(page, ACK, NACK))["msgSerial"] == 0  # the emulator's answer: the frame was relayed
    await page.send_str(message_frame(2049))
    closing = await page.receive(timeout=20)
    assert (closing.type, page.close_code) == (aiohttp.WSMsgType.CLOSE, MESSAGE_TOO_BIG)


async def test_a_50_mb_frame_is_refused_from_its_header_before_it_is_sent_and_never_reaches_the_emulator(
    emulator_server,
):
    """The frame is written as a client would stream it: the header first, then the payload in 64 KiB pieces."""
    size, piece = 50 * 1024 * 1024, b"x" * 65536
    reader, writer = await raw_page(emulator_server)
    bytes_in = emulator_server.emulator.controls.stats()["total"]["bytes_in"]

    closing = asyncio.create_task(read_frame(reader))
    writer.write(frame_header(0x1, fin=True, size=size))
    sent = 0
    try:
        while sent < size and not closing.done():
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
    except ConnectionError:
        pass  # the dev host closed the connection while the payload was still coming
    opcode, payload = await asyncio.wait_for(closing, 20)
    writer.close()
    assert (opcode, struct.unpack("!H", payload[:2])[0]) == (0x8, MESSAGE_TOO_BIG)
    assert sent < size / 10, f"{sent} of {size} bytes were taken before the refusal"
    assert emulator_server.emulator.controls.stats()["total"]["bytes_in"] == bytes_in


async def test_a_message_whose_fragments_add_up_to_more_than_max_frame_size_is_refused_too(small_frames):
    reader, writer = await raw_page(small_frames)
    first, rest = message_frame(2049).encode()[:1500], message_frame(2049).encode()[1500:]
    writer.write(frame_header(0x1, fin=False, size=len(first)) + first)  # text, more to come
    writer.write(frame_header(0x0, fin=True, size=len(rest)) + rest)  # continuation, the last
    opcode, payload = await asyncio.wait_for(read_frame(reader), 20)
    writer.close()
    assert (opcode, struct.unpack("!H", payload[:2])[0]) == (0x8, MESSAGE_TOO_BIG)


async def raw_page(server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A realtime connection through the dev host's port, on a bare socket (frames written byte by byte)."""
    origin = URL(server.url)
    reader, writer = await asyncio.open_connection(origin.host, origin.port)
    handshake = (
        f"GET /?key={server.emulator.key}&format=json&v=5&heartbeats=false HTTP/1.1\r\n"
        f"Host: {origin.authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    writer.write(handshake.encode())
    assert b" 101 " in await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    _, payload = await read_frame(reader)
    assert json.loads(payload)["action"] == CONNECTED
    return reader, writer


def frame_header(opcode: int, fin: bool, size: int) -> bytes:
    """A client frame's header: masked (with a mask of zeros, so the payload goes as it is), 64-bit length."""
    return struct.pack("!BBQ", (0x80 if fin else 0) | opcode, 0x80 | 127, size) + bytes(4)


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked frame from the server: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(length)
