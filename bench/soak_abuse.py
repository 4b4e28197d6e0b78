"""Soak under abuse (issue 18): what a hostile or broken client costs a server's resident set, and whether it comes
back. Each scenario starts its own server process as users start it, measures that process's RSS idle, at its peak
during the abuse and once settled afterwards (bench/rss.py):

* a client that never reads: it attaches to a channel and stops reading its socket (aiohttp pauses a socket whose
  messages nobody takes) while 60 KB messages are published there and another subscriber reads them all;
* thousands of inbox channels with history: one connection publishes to each of them, more in total than the
  history caps hold; settled is after the history expired (`--history-ttl`);
* one huge WebSocket frame sent to the dev host's port (`python -m devserver`, which hosts the emulator in
  process): a frame header announcing it, then its payload as fast as the dev host takes it.
"""

import asyncio
import base64
import json
import os
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess, running
from bench.rss import peak_rss, steady_rss

EMULATOR_READY = r"Ably emulator listening on (http://\S+)"
DEV_HOST_READY = r"Open (http://\S+?)/?\s*$"
ACK, MESSAGE, HEARTBEAT, CLOSE, ATTACH = 1, 15, 0, 7, 10
MB = 1024 * 1024
SLOTH_CHANNEL = "slow-room"
SLOTH_MESSAGE_BYTES = 60_000
SLOTH_WINDOW = 4
INBOX_WINDOW = 50
CHUNK = 1024 * 1024
SEND_TIMEOUT_SECONDS = 10.0
WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class AbuseSettings:
    sloth_mb: int = 100
    inbox_channels: int = 5000
    inbox_messages: int = 10
    inbox_message_bytes: int = 4000
    inbox_ttl: float = 60.0
    frame_mb: int = 50


QUICK_ABUSE = AbuseSettings(
    sloth_mb=30, inbox_channels=200, inbox_messages=5, inbox_message_bytes=1000, inbox_ttl=2.0, frame_mb=5
)


@dataclass
class AbuseRun:
    """One scenario: the server's RSS (bytes) idle before it, at its peak, settled after it; and what happened."""

    scenario: str
    idle: int
    peak: int
    settled: int
    outcome: str


def _env() -> dict[str, str]:
    """This process's environment without Ably settings (so the dev host uses its emulator) or tracemalloc."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ABLY_") and k != "PYTHONTRACEMALLOC"}


def _emulator_command(key: str, *flags: str) -> list[str]:
    return ["emulator", "--host", "127.0.0.1", "--port", "0", "--key", key, *flags]


async def _control(session: aiohttp.ClientSession, server: ServerProcess, path: str):
    async with session.get(f"{server.url}/_emulator/{path}") as response:
        return await response.json()


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_SECONDS) -> float:
    """Poll `check` until it holds; the seconds it took. Raises when it does not hold within `timeout`."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def publish(ws: aiohttp.ClientWebSocketResponse, batches: Iterable[tuple[str, list[dict]]], window: int) -> int:
    """Publish each `(channel, messages)` as one MESSAGE frame, `window` frames awaiting their ACK; frames sent."""
    acked = sent = 0
    pending = iter(batches)
    exhausted = False
    while not exhausted or acked < sent:
        while not exhausted and sent - acked < window:
            batch = next(pending, None)
            if batch is None:
                exhausted = True
                break
            channel, messages = batch
            await ws.send_str(
                json.dumps({"action": MESSAGE, "channel": channel, "msgSerial": sent, "messages": messages})
            )
            sent += 1
        if acked < sent:
            reply = json.loads((await ws.receive(timeout=ably_wire.HANDSHAKE_TIMEOUT_SECONDS)).data)
            if reply.get("action") == ACK:
                acked += reply["count"]
            elif reply.get("action") != HEARTBEAT:
                raise RuntimeError(f"publish refused: {reply}")
    return sent


async def _count_delivered(ws: aiohttp.ClientWebSocketResponse, expected: int) -> int:
    received = 0
    while received < expected:
        frame = await ws.receive(timeout=WAIT_SECONDS)
        if frame.type is not aiohttp.WSMsgType.TEXT:
            break
        message = json.loads(frame.data)
        if message.get("action") == MESSAGE:
            received += len(message["messages"])
    return received


async def never_reader(settings: AbuseSettings, key: str) -> AbuseRun:
    """A client attached to a busy channel that never reads: its backlog is bounded, its peers are unaffected."""
    command = _emulator_command(key, "--history-max", "10")
    async with (
        running(command, EMULATOR_READY, env=_env()) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        pid = server.process.pid
        token = await ably_wire.request_token(session, server.url, key)
        warm = await ably_wire.connect(session, server.ws_url, token)
        await ably_wire.attach(warm, SLOTH_CHANNEL)
        await warm.close()
        idle = await steady_rss(pid)

        query = urlencode({"access_token": token, "format": "json", "heartbeats": "true", "v": "6"})
        sloth = await session.ws_connect(f"{server.ws_url}/?{query}", max_msg_size=0)
        sloth_id = json.loads((await sloth.receive(timeout=ably_wire.HANDSHAKE_TIMEOUT_SECONDS)).data)["connectionId"]
        await sloth.send_str(json.dumps({"action": ATTACH, "channel": SLOTH_CHANNEL}))  # and reads nothing more

        async def state() -> dict:
            listed = await _control(session, server, "connections")
            return next((c for c in listed if c["connectionId"] == sloth_id), {"state": "gone", "channels": []})

        async def attached() -> bool:
            return SLOTH_CHANNEL in (await state())["channels"]

        async def cut() -> bool:
            return (await state())["state"] != "connected"

        await _until(attached, "the client that never reads to attach")
        reader = await ably_wire.connect(session, server.ws_url, token)
        await ably_wire.attach(reader, SLOTH_CHANNEL)
        publisher = await ably_wire.connect(session, server.ws_url, token)
        count = settings.sloth_mb * MB // SLOTH_MESSAGE_BYTES
        data = "x" * SLOTH_MESSAGE_BYTES
        async with peak_rss(pid) as peak:
            delivered = asyncio.create_task(_count_delivered(reader, count))
            await publish(
                publisher, ((SLOTH_CHANNEL, [{"name": "m", "data": data}]) for _ in range(count)), SLOTH_WINDOW
            )
            received = await asyncio.wait_for(delivered, WAIT_SECONDS)
            await _until(cut, "the client that never reads to be disconnected")
        for ws in (publisher, reader, sloth):
            await ws.close()
        settled = await steady_rss(pid)
    return AbuseRun(
        f"a client that never reads, on a channel sent {count * SLOTH_MESSAGE_BYTES / MB:.0f} MB",
        idle,
        peak.bytes,
        settled,
        f"disconnected as a slow consumer; the subscriber that reads got {received:,} of {count:,} messages",
    )


async def inbox_history(settings: AbuseSettings, key: str) -> AbuseRun:
    """Many channels with history, more in total than the caps hold: kept within them, all given back on expiry."""
    command = _emulator_command(key, "--history-ttl", str(settings.inbox_ttl))
    async with (
        running(command, EMULATOR_READY, env=_env()) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        pid = server.process.pid
        token = await ably_wire.request_token(session, server.url, key)
        ws = await ably_wire.connect(session, server.ws_url, token)
        await publish(ws, [("inbox-warm-up", [{"data": "x"}])], 1)
        idle = await steady_rss(pid)
        data = "x" * settings.inbox_message_bytes
        batches = (
            (f"inbox-{channel}", [{"name": "m", "data": data}])
            for _ in range(settings.inbox_messages)
            for channel in range(settings.inbox_channels)
        )
        async with peak_rss(pid) as peak:
            sent = await publish(ws, batches, INBOX_WINDOW)
            held = await _control(session, server, "memory")
        await ws.close()

        async def expired() -> bool:
            return (await _control(session, server, "memory"))["channels"] == 0

        await _until(expired, "the history to expire", settings.inbox_ttl + WAIT_SECONDS)
        settled = await steady_rss(pid)
    payload = sent * settings.inbox_message_bytes / MB
    return AbuseRun(
        f"{settings.inbox_channels:,} inbox channels with history ({payload:.0f} MB published)",
        idle,
        peak.bytes,
        settled,
        f"kept {held['messages']:,} of {sent:,} messages ({held['history_bytes'] / MB:.0f} MB as the caps count "
        f"them) on {held['channels']:,} channels; all dropped once expired",
    )


async def _dev_host_token(session: aiohttp.ClientSession, url: str) -> str:
    """A token as a page gets one: a TokenRequest from the API, exchanged at the emulator through the dev host."""
    async with session.get(f"{url}/api/createTokenRequest", params={"session": "soak-session"}) as response:
        token_request = await response.json()
    exchange = f"{url}/keys/{token_request['keyName']}/requestToken"
    async with session.post(exchange, json=token_request, headers={"X-Ably-Version": "2"}) as response:
        return (await response.json())["token"]


async def _send_frame(url: str, token: str, size: int) -> str:
    """Upgrade at `/` on a bare socket, announce one text frame of `size` bytes and send its payload until refused."""
    loop = asyncio.get_running_loop()
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sent = 0
    try:
        await loop.sock_connect(sock, (host, port))
        query = urlencode({"access_token": token, "format": "json", "v": "6"})
        upgrade = (
            f"GET /?{query} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, upgrade.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), SEND_TIMEOUT_SECONDS)
            if not chunk:
                return "closed during the upgrade"
            answer += chunk
        status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
        if not status_line.startswith("HTTP/1.1 101"):
            return f"upgrade refused: {status_line}"
        # FIN + text, masked, 64-bit length, a zero mask key (so the payload goes as it is).
        await loop.sock_sendall(sock, bytes([0x81, 0x80 | 127]) + struct.pack("!Q", size) + bytes(4))
        payload = b"x" * CHUNK
        while sent < size:
            piece = payload[: min(CHUNK, size - sent)]
            await asyncio.wait_for(loop.sock_sendall(sock, piece), SEND_TIMEOUT_SECONDS)
            sent += len(piece)
        return f"took all {sent / MB:.0f} MB"
    except TimeoutError:
        return f"stopped reading after {sent / MB:.1f} MB sent (the socket stayed open)"
    except OSError:
        return f"closed the connection after {sent / MB:.1f} MB sent"
    finally:
        sock.close()


async def big_frame_to_dev_host(settings: AbuseSettings) -> AbuseRun:
    """One WebSocket frame of `frame_mb` MB sent to the dev host's port, where pages reach the emulator."""
    command = ["devserver", "--port", "0", "--emulator-port", "0", "--emulator"]
    async with (
        running(command, DEV_HOST_READY, env=_env()) as host,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        pid = host.process.pid
        token = await _dev_host_token(session, host.url)
        idle = await steady_rss(pid)
        async with peak_rss(pid) as peak:
            outcome = await _send_frame(host.url, token, settings.frame_mb * MB)
        settled = await steady_rss(pid)
    return AbuseRun(
        f"a {settings.frame_mb} MB WebSocket frame to the dev host's port", idle, peak.bytes, settled, outcome
    )


async def measure(settings: AbuseSettings, key: str) -> list[AbuseRun]:
    return [
        await never_reader(settings, key),
        await inbox_history(settings, key),
        await big_frame_to_dev_host(settings),
    ]


def report(runs: list[AbuseRun]) -> str:
    def mb(value: int) -> str:
        return f"{value / MB:.1f}"

    lines = [
        "Each scenario runs its own server process, as users start it, and reads that process's resident set: idle "
        "before the abuse, its peak during it (the kernel's high-water mark, reset at the start) and settled after "
        "it. A client that never reads attaches to a channel and stops reading its socket while 60 KB messages are "
        "published there and another subscriber reads them all. Inbox channels get messages from one connection, "
        "more in total than the history caps hold; settled is once the history expired (`--history-ttl`). The big "
        "frame goes to the dev host's port (`python -m devserver`, which hosts the emulator in process): a frame "
        "header announcing it, then its payload as fast as the dev host takes it.",
        "",
        "| abuse | idle RSS (MB) | peak RSS | settled RSS | peak − idle | what happened |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.scenario} | {mb(run.idle)} | {mb(run.peak)} | {mb(run.settled)} "
            f"| {mb(run.peak - run.idle)} | {run.outcome} |"
        )
    return "\n".join(lines)
