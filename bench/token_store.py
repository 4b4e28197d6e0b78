"""Token requests at the emulator with many live tokens (issue 18: each request used to scan every token).

`POST /keys/{keyName}/requestToken` with a freshly signed TokenRequest each time (ably-js and ably-python exchange
one per connection and per renewal), at `python -m emulator` in its own process. Each run starts two fresh
emulators and issues `live_tokens` tokens at one of them (all live: an hour's ttl); then both are measured in
alternating slices, in the order A B B A ..., so a change in the machine's load between slices weighs on both
alike. The other emulator holds only the tokens its own slices issued.
"""

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bench import ably_wire
from bench.processes import running
from bench.stats import Spread, ratio

READY = r"Ably emulator listening on (http://\S+)"
# Slices each emulator's requests are measured in, alternating between the two (A B B A ...).
SLICES = 6
GOAL = 0.9


@dataclass(frozen=True)
class TokenStoreSettings:
    runs: int = 5
    live_tokens: int = 20_000
    requests: int = 3000
    warmup: int = 300
    concurrency: int = 16


QUICK_TOKENS = TokenStoreSettings(runs=1, live_tokens=2000, requests=200, warmup=20)


@dataclass
class TokenStoreRuns:
    """Per state (none issued before, `live_tokens` live): requests/s and emulator CPU µs per request, per run."""

    rates: dict[str, list[float]]
    cpu: dict[str, list[float]]
    failed: int


async def _exchange(
    session: aiohttp.ClientSession, url: str, key: str, count: int, concurrency: int
) -> tuple[float, int]:
    """Exchange `count` freshly signed TokenRequests at the emulator, `concurrency` in flight; seconds, failures."""
    remaining = count
    failed = 0

    async def worker() -> None:
        nonlocal remaining, failed
        while remaining > 0:
            remaining -= 1
            body = ably_wire.signed_token_request(key)
            async with session.post(f"{url}/keys/{body['keyName']}/requestToken", json=body) as response:
                await response.read()
                failed += response.status != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, failed


async def measure(settings: TokenStoreSettings, key: str) -> TokenStoreRuns:
    states = ("none issued before", f"{settings.live_tokens:,} live tokens")
    runs = TokenStoreRuns({state: [] for state in states}, {state: [] for state in states}, 0)
    command = ["emulator", "--host", "127.0.0.1", "--port", "0", "--key", key]
    per_slice = settings.requests // SLICES
    for _ in range(settings.runs):
        async with (
            running(command, READY) as few,
            running(command, READY) as many,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4 * settings.concurrency)) as session,
        ):
            emulators = dict(zip(states, (few, many), strict=True))
            for emulator in emulators.values():
                await _exchange(session, emulator.url, key, settings.warmup, settings.concurrency)
            runs.failed += (await _exchange(session, many.url, key, settings.live_tokens, 4 * settings.concurrency))[1]
            seconds = dict.fromkeys(states, 0.0)
            cpu_seconds = dict.fromkeys(states, 0.0)
            for index in range(SLICES):
                for state in states if index % 2 == 0 else reversed(states):
                    emulator = emulators[state]
                    cpu_before = emulator.cpu_seconds() or 0.0
                    took, failed = await _exchange(session, emulator.url, key, per_slice, settings.concurrency)
                    cpu_seconds[state] += (emulator.cpu_seconds() or 0.0) - cpu_before
                    seconds[state] += took
                    runs.failed += failed
            for state in states:
                runs.rates[state].append(per_slice * SLICES / seconds[state])
                runs.cpu[state].append(cpu_seconds[state] / (per_slice * SLICES) * 1e6)
    return runs


def report(runs: TokenStoreRuns, settings: TokenStoreSettings) -> str:
    none, many = list(runs.rates)
    per_run = Spread.of(after / before for before, after in zip(runs.rates[none], runs.rates[many], strict=True))
    lines = [
        f"{settings.runs} run(s) of {settings.requests:,} token requests per emulator, {settings.concurrency} in "
        f"flight: `POST /keys/{{keyName}}/requestToken` with a freshly signed TokenRequest each time, at two fresh "
        f"emulators (`python -m emulator`), one of which was first issued {settings.live_tokens:,} tokens (all "
        f"live), measured in {SLICES} alternating slices (A B B A ...); the other holds only the tokens its own slices "
        "issued. CPU is the emulator process's own time per request, which other load on the machine hardly changes.",
        "",
        "| live tokens | requests/s | emulator CPU µs per request | vs none issued before |",
        "|---|---:|---:|---:|",
    ]
    for state in runs.rates:
        rate = Spread.of(runs.rates[state])
        lines.append(
            f"| {state} | {rate.format(',.0f')} | {Spread.of(runs.cpu[state]).format('.0f')} "
            f"| {ratio(rate.median, Spread.of(runs.rates[none]).median)} |"
        )
    lines += [
        "",
        f"Goal (requests/s with {settings.live_tokens:,} live tokens at least {GOAL:.1f}× the rate with none, the "
        f"median of the runs' ratios: {per_run.format('.2f')}×): **{'met' if per_run.median >= GOAL else 'NOT met'}**. "
        f"Failed requests: {runs.failed}. Before issue 18 every request scanned every live token: 4,153 requests/s "
        "with none, 355/s after 20,000 (about 0.1× here in the same measurement).",
    ]
    return "\n".join(lines)
