"""Soak benchmark: does the emulator give memory back, and does one busy channel stay within its history cap?

The emulator runs as users start it (``python -m emulator``, its own process) with ``PYTHONTRACEMALLOC=1``, and
its ``GET /_emulator/memory`` control reports, after a full garbage collection, the Python heap as tracemalloc
counts it and the process's resident set (RSS). Two phases:

* connections: N raw realtime connections (the frames ably-js sends) attach to one channel, then all CLOSE;
  the heap once every connection is gone is compared with the idle heap measured before (goal: within 10 %).
  Repeated runs show whether anything accumulates from one run to the next.
* messages: M messages are published on one channel (frames of 100, ACKs awaited in a window); the channel
  keeps at most ``history_max`` of them, and the heap grows by that many messages' worth, not by M.

RSS is reported beside the heap: CPython's allocators keep freed memory for reuse instead of returning it to
the operating system, so RSS stays near its peak even when the heap has come back (it does not grow run to run).

Then the abuse of issue 18, each scenario in a process of its own (bench/soak_abuse.py: a client that never reads,
thousands of inbox channels with history, a huge frame to the dev host's port), and token requests with many live
tokens beside none (bench/token_store.py).
"""

import asyncio
import json
import os
import time
from dataclasses import dataclass, field

import aiohttp

from bench import ably_wire, soak_abuse, token_store
from bench.processes import ServerProcess, running
from bench.report import RunOptions, Section
from bench.soak_abuse import QUICK_ABUSE, AbuseSettings
from bench.stats import Spread
from bench.token_store import QUICK_TOKENS, TokenStoreSettings

SOAK_KEY = "soakapp.soakkey:local-soak-secret-not-for-production"
CHANNEL = "soak"
CLOSE, ACK = 7, 1
CONNECT_CONCURRENCY = 50
MESSAGES_PER_FRAME = 100
ACK_WINDOW = 20
SETTLE_TIMEOUT_SECONDS = 30.0
GOAL = 1.10
MB = 1024 * 1024


@dataclass(frozen=True)
class SoakSettings:
    connections: int = 1000
    runs: int = 3
    messages: int = 100_000
    history_max: int = 10_000
    abuse: AbuseSettings = field(default_factory=AbuseSettings)
    tokens: TokenStoreSettings = field(default_factory=TokenStoreSettings)


QUICK = SoakSettings(connections=30, runs=1, messages=3000, history_max=1000, abuse=QUICK_ABUSE, tokens=QUICK_TOKENS)


@dataclass
class ConnectionRun:
    """Heap and RSS (bytes) with every connection attached, and once they are all gone."""

    peak_heap: int
    peak_rss: int
    after_heap: int
    after_rss: int
    seconds: float


@dataclass
class MessageRun:
    published: int
    kept: int
    heap_before: int
    heap_after: int
    rss_after: int
    seconds: float


async def memory(session: aiohttp.ClientSession, server: ServerProcess) -> dict:
    async with session.get(f"{server.url}/_emulator/memory") as response:
        return await response.json()


async def settled(session: aiohttp.ClientSession, server: ServerProcess) -> dict:
    """The memory report once nothing is held for connections any more and the heap has stopped shrinking.

    Sockets close a little after the connections are discarded, so the heap is read until two readings half a
    second apart agree within 1 %.
    """
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    previous = await memory(session, server)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        current = await memory(session, server)
        steady = abs(current["traced_bytes"] - previous["traced_bytes"]) <= 0.01 * previous["traced_bytes"]
        if not current["connections"] and steady:
            return current
        previous = current
    raise RuntimeError(f"the emulator did not settle within {SETTLE_TIMEOUT_SECONDS:.0f} s: {previous}")


async def open_attached(session: aiohttp.ClientSession, server: ServerProcess, count: int) -> list:
    token = await ably_wire.request_token(session, server.url, SOAK_KEY)
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def one() -> None:
        ws = await ably_wire.connect(session, server.ws_url, token)
        sockets.append(ws)
        await ably_wire.attach(ws, CHANNEL)

    for start in range(0, count, CONNECT_CONCURRENCY):
        await asyncio.gather(*(one() for _ in range(min(CONNECT_CONCURRENCY, count - start))))
    return sockets


async def close_all(sockets: list) -> None:
    """CLOSE every connection as ``client.close()`` does, wait for the server to end each socket."""

    async def one(ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.send_str(json.dumps({"action": CLOSE}))
        while (await ws.receive(timeout=ably_wire.HANDSHAKE_TIMEOUT_SECONDS)).type is aiohttp.WSMsgType.TEXT:
            pass
        await ws.close()

    for start in range(0, len(sockets), CONNECT_CONCURRENCY):
        await asyncio.gather(*(one(ws) for ws in sockets[start : start + CONNECT_CONCURRENCY]))


async def connection_run(session: aiohttp.ClientSession, server: ServerProcess, count: int) -> ConnectionRun:
    started = time.monotonic()
    sockets = await open_attached(session, server, count)
    peak = await memory(session, server)
    if peak["connections"] != count:
        raise RuntimeError(f"expected {count} connections, the emulator holds {peak['connections']}")
    await close_all(sockets)
    after = await settled(session, server)
    return ConnectionRun(
        peak["traced_bytes"], peak["rss_bytes"], after["traced_bytes"], after["rss_bytes"], time.monotonic() - started
    )


async def message_run(session: aiohttp.ClientSession, server: ServerProcess, count: int) -> MessageRun:
    """Publish ``count`` messages on one channel from one connection, ``ACK_WINDOW`` frames in flight."""
    before = await memory(session, server)
    token = await ably_wire.request_token(session, server.url, SOAK_KEY)
    ws = await ably_wire.connect(session, server.ws_url, token)
    started = time.monotonic()
    frames = (count + MESSAGES_PER_FRAME - 1) // MESSAGES_PER_FRAME
    acked = sent = 0
    while acked < frames:
        while sent < frames and sent - acked < ACK_WINDOW:
            size = min(MESSAGES_PER_FRAME, count - sent * MESSAGES_PER_FRAME)
            batch = [{"name": "tick", "data": f"message {sent * MESSAGES_PER_FRAME + i}"} for i in range(size)]
            await ws.send_str(json.dumps({"action": 15, "channel": CHANNEL, "msgSerial": sent, "messages": batch}))
            sent += 1
        reply = json.loads((await ws.receive(timeout=ably_wire.HANDSHAKE_TIMEOUT_SECONDS)).data)
        if reply.get("action") == ACK:
            acked += reply["count"]
        elif reply.get("action") != 0:
            raise RuntimeError(f"publish refused: {reply}")
    seconds = time.monotonic() - started
    await close_all([ws])
    after = await settled(session, server)
    return MessageRun(
        count, after["messages"], before["traced_bytes"], after["traced_bytes"], after["rss_bytes"], seconds
    )


async def measure(settings: SoakSettings) -> tuple[dict, list[ConnectionRun], MessageRun]:
    command = ["emulator", "--host", "127.0.0.1", "--port", "0", "--key", SOAK_KEY]
    command += ["--history-max", str(settings.history_max)]
    env = dict(os.environ, PYTHONTRACEMALLOC="1")
    async with (
        running(command, r"Ably emulator listening on (http://\S+)", env=env) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        await connection_run(session, server, min(10, settings.connections))  # first use: lazy imports, caches
        idle = await settled(session, server)
        runs = [await connection_run(session, server, settings.connections) for _ in range(settings.runs)]
        messages = await message_run(session, server, settings.messages)
        return idle, runs, messages


def _mb(value: float) -> str:
    return f"{value / MB:.1f}"


def report(settings: SoakSettings, idle: dict, runs: list[ConnectionRun], messages: MessageRun) -> str:
    heap_ratio = Spread.of([run.after_heap / idle["traced_bytes"] for run in runs])
    met = heap_ratio.high <= GOAL
    rows = [
        "| memory (MB) | idle | all attached | after all closed | after / idle |",
        "|---|---|---|---|---|",
        f"| Python heap (tracemalloc) | {_mb(idle['traced_bytes'])} "
        f"| {Spread.of([run.peak_heap / MB for run in runs]).format()} "
        f"| {Spread.of([run.after_heap / MB for run in runs]).format()} | {heap_ratio.format('.2f')}× |",
        f"| resident set (RSS) | {_mb(idle['rss_bytes'])} "
        f"| {Spread.of([run.peak_rss / MB for run in runs]).format()} "
        f"| {Spread.of([run.after_rss / MB for run in runs]).format()} "
        f"| {Spread.of([run.after_rss / idle['rss_bytes'] for run in runs]).format('.2f')}× |",
    ]
    per_run = ", ".join(f"{_mb(run.after_heap)}" for run in runs)
    kept_ok = messages.kept <= settings.history_max
    growth = messages.heap_after - messages.heap_before
    return "\n".join(
        [
            f"{settings.connections:,} raw realtime connections attach to one channel, then all CLOSE; "
            f"{settings.runs} run(s), medians with the spread in brackets. The emulator runs in its own process "
            "with `PYTHONTRACEMALLOC=1`; `GET /_emulator/memory` reads the heap after a full collection.",
            "",
            *rows,
            "",
            f"Goal (heap after all closed within 10 % of idle): **{'met' if met else 'NOT met'}** "
            f"(heap after each run, MB: {per_run}). RSS stays near its peak because CPython keeps freed memory "
            "for reuse rather than returning it to the system; it does not grow from run to run.",
            "",
            "| messages on one channel | published | kept (cap) | publish rate | heap growth |",
            "|---|---|---|---|---|",
            f"| frames of {MESSAGES_PER_FRAME}, {ACK_WINDOW} in flight | {messages.published:,} "
            f"| {messages.kept:,} ({settings.history_max:,}) | {messages.published / messages.seconds:,.0f}/s "
            f"| {_mb(growth)} MB ({growth / max(messages.kept, 1):,.0f} B per kept message) |",
            "",
            f"Goal (history within the count cap): **{'met' if kept_ok else 'NOT met'}**.",
        ]
    )


def run(options: RunOptions) -> Section:
    """Run the benchmark; return its section of the report."""
    settings = QUICK if options.quick else SoakSettings()
    idle, runs, messages = asyncio.run(measure(settings))
    abuse = asyncio.run(soak_abuse.measure(settings.abuse, SOAK_KEY))
    tokens = asyncio.run(token_store.measure(settings.tokens, SOAK_KEY))
    body = "\n\n".join(
        [
            report(settings, idle, runs, messages),
            "### Under abuse: what a hostile client costs, and whether it comes back",
            soak_abuse.report(abuse),
            "### Token requests with many live tokens",
            token_store.report(tokens, settings.tokens),
        ]
    )
    return Section(title="Emulator soak: memory comes back", body=body)
