"""Soak benchmark (issue 18): the emulator's resident set under thousands of inbox channels with history, more than
its caps hold, and once it expired (emulator/COVERAGE.md quotes it); the other bounds on memory are tested: a client
that never reads (tests/emulator/test_slow_consumer.py), a huge frame (tests/devserver/test_emulator_proxy.py)."""

import asyncio
import time

import aiohttp

from bench.processes import emulator, get_json
from bench.report import Section, table

KEY = "soakapp.soakkey:local-soak-secret-not-for-production"
MB = 1024 * 1024
FULL, QUICK = (5000, 10, 4000, 60.0), (200, 5, 1000, 2.0)  # channels, messages each, bytes each, history TTL s


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


async def run(quick: bool) -> Section:
    channels, messages, size, ttl = QUICK if quick else FULL
    key = aiohttp.BasicAuth(*KEY.split(":", 1))
    async with emulator("--key", KEY, "--history-ttl", str(ttl)) as server, aiohttp.ClientSession(auth=key) as http:
        idle = await _settled(server.pid)
        _mb(server.pid, reset_peak=True)
        inboxes = [f"inbox-{channel}" for channel in range(channels)]
        for _ in range(messages):  # a batch publish to every inbox at once: one message a channel, each time
            spec = {"channels": inboxes, "messages": [{"data": "x" * size}]}
            async with http.post(f"{server.url}/messages", json=spec, raise_for_status=True) as response:
                await response.read()
        held = await get_json(http, memory := f"{server.url}/_emulator/memory")
        deadline = time.monotonic() + ttl + 60
        while (await get_json(http, memory))["channels"]:  # until the history expired and its channels were dropped
            if time.monotonic() > deadline:
                raise TimeoutError(f"the history still held after {ttl + 60:.0f} s")
            await asyncio.sleep(0.1)
        peak, settled = _mb(server.pid, "VmHWM"), await _settled(server.pid)
    published = f"{channels * messages:,} messages, {channels * messages * size / MB:.0f} MB"
    kept = f"{held['messages']:,} messages ({held['history_bytes'] / MB:.0f} MB as the caps count them)"
    row = [f"{channels:,} inbox channels with history ({published})", f"{idle:.1f}", f"{peak:.1f}", f"{settled:.1f}"]
    return Section(
        "Soak: memory comes back",
        table(["abuse", "idle RSS MB", "peak", "settled once expired", "kept at the peak"], [[*row, kept]])
        + f"\n\nReading: the history caps bound the peak, and memory comes back: settled {settled - idle:.0f} MB above "
        "idle, on this 2-core machine (batch publishes within Ably's rate per channel, not within its account's).",
    )
