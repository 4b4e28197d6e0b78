"""Soak benchmark (issue 18): the emulator's memory stays bounded under abuse, and comes back. Each scenario starts
its own server as users start it and reads its resident set (RSS): idle before the abuse, the peak during it (the
kernel's high-water mark, reset at the start) and settled after it.

* a client that never reads, on a channel sent 60 KB messages that another subscriber reads;
* thousands of inbox channels with history, more in total than the history caps hold; settled once it expired.

(A huge frame to the dev host's port is refused from its header, before any of it is buffered:
tests/devserver/test_emulator_proxy.py.)
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess, emulator
from bench.report import RunOptions, Section, table
from emulator.protocol import Action

KEY = "soakapp.soakkey:local-soak-secret-not-for-production"
CHANNEL = "slow-room"
MB = 1024 * 1024
MESSAGE_BYTES = 60_000
WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Settings:
    """MB sent past the client that never reads; inbox channels × messages × bytes, kept `inbox_ttl` seconds."""

    sloth_mb: int = 100
    inbox_channels: int = 5000
    inbox_messages: int = 10
    inbox_message_bytes: int = 4000
    inbox_ttl: float = 60.0


QUICK = Settings(sloth_mb=30, inbox_channels=200, inbox_messages=5, inbox_message_bytes=1000, inbox_ttl=2.0)


def _kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


def reset_peak(pid: int) -> None:
    """Start the kernel's RSS high-water mark (VmHWM) afresh, at the current RSS."""
    with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


async def settled_rss(pid: int) -> float:
    """MB once two readings half a second apart agree within 1 % (or the last reading after 30 s)."""
    previous = _kib(pid, "VmRSS")
    for _ in range(60):
        await asyncio.sleep(0.5)
        current = _kib(pid, "VmRSS")
        if abs(current - previous) <= 0.01 * previous:
            break
        previous = current
    return current / 1024


async def until(check: Callable[[], Awaitable], what: str, timeout: float = WAIT_SECONDS):
    """Poll ``check`` until it answers something true, and return that."""
    deadline = time.monotonic() + timeout
    while not (answer := await check()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)
    return answer


async def _control(http: aiohttp.ClientSession, server: ServerProcess, path: str):
    async with http.get(f"{server.url}/_emulator/{path}") as response:
        return await response.json()


async def _connect(http: aiohttp.ClientSession, server: ServerProcess) -> aiohttp.ClientWebSocketResponse:
    return await ably_wire.connect(
        http, server.url, await ably_wire.token(http, server.url, ably_wire.signed_token_request(KEY))
    )


async def never_reader(settings: Settings, http: aiohttp.ClientSession) -> list:
    """A client attached to a busy channel that never reads: it is cut off, its peers unaffected."""
    async with emulator("--key", KEY, "--history-max", "10") as server:
        warm = await _connect(http, server)  # the first connection's lazy imports and caches
        await ably_wire.attach(warm, "warm-up")
        await ably_wire.close(warm)
        idle = await settled_rss(server.pid)
        sloth = await _connect(http, server)
        await ably_wire.send(sloth, Action.ATTACH, channel=CHANNEL)  # and reads nothing more

        async def connected_on_channel() -> list[str]:
            listed = await _control(http, server, "connections")
            return [c["connectionId"] for c in listed if c["state"] == "connected" and CHANNEL in c["channels"]]

        sloth_id = (await until(connected_on_channel, "the client that never reads to attach"))[0]

        async def sloth_cut_off() -> bool:
            return sloth_id not in await connected_on_channel()

        reader, publisher = await _connect(http, server), await _connect(http, server)
        await ably_wire.attach(reader, CHANNEL)
        count = settings.sloth_mb * MB // MESSAGE_BYTES
        reset_peak(server.pid)
        delivered = asyncio.create_task(_count_delivered(reader, count))
        await ably_wire.publish(publisher, ((CHANNEL, [{"data": "x" * MESSAGE_BYTES}]) for _ in range(count)), 4)
        received = await asyncio.wait_for(delivered, WAIT_SECONDS)
        await until(sloth_cut_off, "the client that never reads to be cut off")
        peak = _kib(server.pid, "VmHWM") / 1024
        for ws in (publisher, reader, sloth):
            await ws.close()
        return [
            f"a client that never reads, on a channel sent {settings.sloth_mb} MB",
            idle,
            peak,
            await settled_rss(server.pid),
            f"cut off as a slow consumer; the subscriber that reads got {received:,} of {count:,} messages",
        ]


async def _count_delivered(ws: aiohttp.ClientWebSocketResponse, expected: int) -> int:
    received = 0
    while received < expected:
        received += len((await ably_wire.next_frame(ws, Action.MESSAGE))["messages"])
    return received


async def inbox_history(settings: Settings, http: aiohttp.ClientSession) -> list:
    """Many channels with history, more in total than the caps hold: kept within them, all given back on expiry."""
    async with emulator("--key", KEY, "--history-ttl", str(settings.inbox_ttl)) as server:
        ws = await _connect(http, server)
        await ably_wire.publish(ws, [("inbox-warm-up", [{"data": "x"}])], 1)
        idle = await settled_rss(server.pid)
        data = "x" * settings.inbox_message_bytes
        channels = [f"inbox-{channel}" for channel in range(settings.inbox_channels)] * settings.inbox_messages
        reset_peak(server.pid)
        sent = await ably_wire.publish(ws, ((channel, [{"data": data}]) for channel in channels), 50)
        held = await _control(http, server, "memory")
        peak = _kib(server.pid, "VmHWM") / 1024
        await ws.close()

        async def expired() -> bool:
            return (await _control(http, server, "memory"))["channels"] == 0

        await until(expired, "the history to expire", settings.inbox_ttl + WAIT_SECONDS)
        return [
            f"{settings.inbox_channels:,} inbox channels with history ({sent * len(data) / MB:.0f} MB published)",
            idle,
            peak,
            await settled_rss(server.pid),
            f"kept {held['messages']:,} of {sent:,} messages ({held['history_bytes'] / MB:.0f} MB as the caps count "
            f"them) on {held['channels']:,} channels; all dropped once expired",
        ]


async def measure(settings: Settings) -> list[list]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        return [await scenario(settings, http) for scenario in (never_reader, inbox_history)]


def report(rows: list[list]) -> str:
    above = max(settled - idle for _, idle, _, settled, _ in rows)
    return "\n\n".join(
        [
            table(
                ["abuse", "idle RSS MB", "peak", "settled", "what happened"],
                [
                    [what, f"{idle:.1f}", f"{peak:.1f}", f"{settled:.1f}", outcome]
                    for what, idle, peak, settled, outcome in rows
                ],
            ),
            f"Reading: the emulator's limits bound each peak, and memory comes back: settled at most {above:.0f} MB "
            "above idle.",
        ]
    )


def run(options: RunOptions) -> Section:
    return Section(
        "Emulator soak: memory comes back", report(asyncio.run(measure(QUICK if options.quick else Settings())))
    )
