"""A server process's resident set (RSS), read from /proc: now, once it has stopped changing, and its peak.

The peak is the kernel's high-water mark (VmHWM), reset when the measurement starts (`/proc/PID/clear_refs`), so a
spike between two samples is not missed; where that cannot be reset, it is the largest of samples 10 ms apart.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

SAMPLE_SECONDS = 0.01
STEADY_SECONDS = 0.5
STEADY_TOLERANCE = 0.01
STEADY_TIMEOUT_SECONDS = 30.0


def _status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def rss_bytes(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


async def steady_rss(pid: int) -> int:
    """The RSS once two readings half a second apart agree within 1 % (bounded: the last reading after 30 s)."""
    deadline = time.monotonic() + STEADY_TIMEOUT_SECONDS
    previous = rss_bytes(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(STEADY_SECONDS)
        current = rss_bytes(pid)
        if abs(current - previous) <= STEADY_TOLERANCE * previous:
            return current
        previous = current
    return previous


def _reset_high_water(pid: int) -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) of `pid` to its current RSS; False where that is refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


@dataclass
class Peak:
    bytes: int = 0


@contextlib.asynccontextmanager
async def peak_rss(pid: int) -> AsyncIterator[Peak]:
    """Measure the peak RSS of `pid` while the block runs; read `.bytes` after it."""
    peak = Peak(rss_bytes(pid))
    high_water = _reset_high_water(pid)

    async def sample() -> None:
        while True:
            peak.bytes = max(peak.bytes, rss_bytes(pid))
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        peak.bytes = max(peak.bytes, rss_bytes(pid))
        if high_water:
            peak.bytes = max(peak.bytes, _status_kib(pid, "VmHWM") * 1024)
