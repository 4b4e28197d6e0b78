"""Soak benchmark (issue 18): memory stays bounded under abuse, and comes back. Each abuse starts its own server as
users start it and reads its resident set (RSS) idle, at its peak during the abuse (the kernel's high-water mark,
reset at the start) and settled after it: a client that never reads, on a channel sent 60 KB messages that another
subscriber reads; thousands of inbox channels with history, more than the caps hold, settled once it expired; one
huge WebSocket frame to the dev host's port (its emulator in the same process), refused from its header."""

import asyncio
from typing import Any

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess, dev_host, emulator, get_json, http_client
from bench.report import Section, table
from bench.runner import until
from emulator.protocol import Action

KEY = "soakapp.soakkey:local-soak-secret-not-for-production"
CHANNEL, MB, MESSAGE_BYTES = "slow-room", 1024 * 1024, 60_000
FULL: dict[str, Any] = {"megabytes": 100, "channels": 5000, "messages": 10, "size": 4000, "ttl": 60.0, "frame_mb": 50}
QUICK: dict[str, Any] = {"megabytes": 30, "channels": 200, "messages": 5, "size": 1000, "ttl": 2.0, "frame_mb": 5}


def _mb(pid: int, field: str = "VmRSS", reset_peak: bool = False) -> float:
    if reset_peak:  # the high-water mark (VmHWM) starts afresh at the current RSS
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:")) / 1024


async def _settled(pid: int) -> float:
    """MB once two readings half a second apart agree within 1 % (or the last reading after 30 s)."""
    previous = _mb(pid)
    for _ in range(60):
        await asyncio.sleep(0.5)
        if abs((current := _mb(pid)) - previous) <= 0.01 * previous:
            break
        previous = current
    return current


async def _abused(what: str, server: ServerProcess, abuse) -> list:
    """The row of ``abuse()``: idle, peak and settled MB, what it says happened, and settled − idle."""
    idle = await _settled(server.pid)
    _mb(server.pid, reset_peak=True)
    outcome = await abuse()
    peak, settled = _mb(server.pid, "VmHWM"), await _settled(server.pid)
    return [what, f"{idle:.1f}", f"{peak:.1f}", f"{settled:.1f}", outcome, settled - idle]


async def never_reader(http: aiohttp.ClientSession, megabytes: int, **_) -> list:
    """A client attached to a busy channel that never reads: it is cut off, its peers unaffected."""
    async with emulator("--key", KEY, "--history-max", "10") as server:
        connect = lambda: ably_wire.connect(http, server.url, ably_wire.signed_token_request(KEY))  # noqa: E731
        await ably_wire.close(await connect())  # the first connection's lazy imports and caches

        async def on_channel() -> list[str]:
            listed = await get_json(http, f"{server.url}/_emulator/connections")
            return [c["connectionId"] for c in listed if c["state"] == "connected" and CHANNEL in c["channels"]]

        async def abuse() -> str:
            await ably_wire.send(sloth := await connect(), Action.ATTACH, channel=CHANNEL)  # and reads nothing more
            sloth_id = (await until(on_channel, "the client that never reads to attach"))[0]
            reader, publisher = await connect(), await connect()
            await ably_wire.attach(reader, CHANNEL)
            count, received = megabytes * MB // MESSAGE_BYTES, 0

            async def read_all() -> None:
                nonlocal received
                while received < count:
                    received += len((await ably_wire.next_frame(reader, Action.MESSAGE))["messages"])

            delivered = asyncio.create_task(asyncio.wait_for(read_all(), 60))
            await ably_wire.publish(publisher, ((CHANNEL, [{"data": "x" * MESSAGE_BYTES}]) for _ in range(count)), 4)
            await delivered
            await until(lambda: _cut_off(on_channel(), sloth_id), "the client that never reads to be cut off")
            for ws in (publisher, reader, sloth):
                await ws.close()
            return f"cut off as a slow consumer; the subscriber that reads got {received:,} of {count:,} messages"

        return await _abused(f"a client that never reads, on a channel sent {megabytes} MB", server, abuse)


async def _cut_off(listed, connection_id: str) -> bool:
    return connection_id not in await listed


async def _expired(memory) -> bool:
    return (await memory)["channels"] == 0


async def inbox_history(http: aiohttp.ClientSession, channels: int, messages: int, size: int, ttl: float, **_) -> list:
    """Many channels with history, more in total than the caps hold: kept within them, all given back on expiry."""
    async with emulator("--key", KEY, "--history-ttl", str(ttl)) as server:
        ws = await ably_wire.connect(http, server.url, ably_wire.signed_token_request(KEY))
        await ably_wire.publish(ws, [("inbox-warm-up", [{"data": "x"}])], 1)

        async def abuse() -> str:
            inboxes = [f"inbox-{channel}" for channel in range(channels)] * messages
            sent = await ably_wire.publish(ws, ((inbox, [{"data": "x" * size}]) for inbox in inboxes), 50)
            held = await get_json(http, memory := f"{server.url}/_emulator/memory")
            await ws.close()
            await until(lambda: _expired(get_json(http, memory)), "the history to expire", ttl + 60)
            return (
                f"kept {held['messages']:,} of {sent:,} messages ({held['history_bytes'] / MB:.0f} MB as the caps "
                f"count them) on {held['channels']:,} channels; all dropped once expired"
            )

        what = f"{channels:,} inbox channels with history ({channels * messages * size / MB:.0f} MB published)"
        return await _abused(what, server, abuse)


async def huge_frame(http: aiohttp.ClientSession, frame_mb: int, **_) -> list:
    """One WebSocket frame of ``frame_mb`` MB sent to the dev host's port, where pages reach the emulator."""
    async with dev_host() as host:
        ticket = await get_json(http, f"{host.url}/api/createTokenRequest?session=soak")
        ws = await ably_wire.connect(http, host.url, ticket)

        async def abuse() -> str:
            try:
                await ws.send_str("x" * frame_mb * MB)
                answer = await ws.receive(timeout=30)
                return f"refused: {answer.type.name} {ws.close_code or ''}".strip()
            except (ConnectionError, aiohttp.ClientError) as error:
                return f"refused: the connection closed ({type(error).__name__})"

        return await _abused(f"a {frame_mb} MB WebSocket frame to the dev host's port", host, abuse)


async def run(quick: bool) -> Section:
    async with http_client() as http:
        rows = [await abuse(http, **QUICK if quick else FULL) for abuse in (never_reader, inbox_history, huge_frame)]
    return Section(
        "Soak: memory comes back",
        table(["abuse", "idle RSS MB", "peak", "settled", "what happened"], [row[:-1] for row in rows])
        + "\n\nReading: the limits bound each peak, and memory comes back: settled at most "
        f"{max(row[-1] for row in rows):.0f} MB above idle (each beside its idle process, on this 2-core machine).",
    )
