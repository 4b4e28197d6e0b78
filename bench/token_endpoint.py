"""Token endpoint benchmark: ``GET /api/createTokenRequest`` through the dev host (``python -m devserver``, its own
process) beside a function that signs nothing and a static file, with bounded concurrency; and the cold import of
``function_app`` in a fresh interpreter (what a cold start pays before its first request) beside
``import azure.functions``. Runs alternate between the targets."""

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

import aiohttp

from bench.processes import REPO_ROOT, dev_host
from bench.report import RunOptions, Section, table
from bench.stats import Spread, ratio

PATHS = {
    "/api/createTokenRequest?session=…": "/api/createTokenRequest?session=bench-session",
    "/api/clientConfig (baseline)": "/api/clientConfig",
    "/favicon.svg (static file)": "/favicon.svg",
}
IMPORTS = {"function_app": "function_app", "azure.functions (baseline)": "azure.functions", "ably": "ably"}


@dataclass(frozen=True)
class Settings:
    runs: int = 5
    seconds: float = 3.0
    concurrency: int = 16


QUICK = Settings(runs=1, seconds=0.5)


async def _load(http: aiohttp.ClientSession, url: str, settings: Settings) -> tuple[float, int]:
    """Requests answered 200 per second, ``concurrency`` in flight for ``seconds``; and how many were not."""
    deadline = time.perf_counter() + settings.seconds
    answers: list[bool] = []

    async def worker() -> None:
        while time.perf_counter() < deadline:
            async with http.get(url) as response:
                await response.read()
                answers.append(response.status == 200)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(settings.concurrency)))
    return sum(answers) / (time.perf_counter() - started), answers.count(False)


async def through_dev_host(settings: Settings) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """Per path, requests/s and the dev host's share of a core per run; and the failed requests."""
    rates: dict[str, list[float]] = {name: [] for name in PATHS}
    cpu: dict[str, list[float]] = {name: [] for name in PATHS}
    failed = 0
    async with dev_host() as host, aiohttp.ClientSession() as http:
        for path in PATHS.values():
            await _load(http, host.url + path, QUICK)  # warm up
        for _ in range(settings.runs):
            for name, path in PATHS.items():
                cpu_before, started = host.cpu_seconds() or 0.0, time.perf_counter()
                rate, errors = await _load(http, host.url + path, settings)
                rates[name].append(rate)
                cpu[name].append(((host.cpu_seconds() or 0.0) - cpu_before) / (time.perf_counter() - started))
                failed += errors
    return rates, cpu, failed


def _import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout)


def cold_imports(settings: Settings) -> dict[str, list[float]]:
    for module in IMPORTS.values():
        _import_ms(module)  # writes the bytecode caches, as a deployed app ships them
    return {name: [_import_ms(module) for _ in range(settings.runs)] for name, module in IMPORTS.items()}


def report(rates: dict, cpu: dict, failed: int, imports: dict, settings: Settings) -> str:
    config = Spread.of(rates["/api/clientConfig (baseline)"]).median
    bare = Spread.of(imports["azure.functions (baseline)"]).median
    token, app = Spread.of(rates["/api/createTokenRequest?session=…"]).median, Spread.of(imports["function_app"]).median
    rate_rows = [
        [
            name,
            Spread.of(runs).format(",.0f"),
            ratio(Spread.of(runs).median, config),
            f"{Spread.of(cpu[name]).median:.0%}",
        ]
        for name, runs in rates.items()
    ]
    import_rows = [
        [f"`import {name}`", Spread.of(runs).format(".0f"), ratio(Spread.of(runs).median, bare)]
        for name, runs in imports.items()
    ]
    return "\n\n".join(
        [
            f"Through the dev host: {settings.runs} run(s) of {settings.seconds:g} s per path, {settings.concurrency} "
            "requests in flight from this process; CPU is the dev host's share of one core.",
            table(["path", "requests/s", "vs baseline", "dev host CPU"], rate_rows),
            f"Reading: the token endpoint answers **{token:,.0f} requests/s**, {ratio(token, config)} a function that "
            f"signs nothing (failed requests: {failed}).",
            table(["cold import, fresh interpreter", "ms", "vs baseline"], import_rows),
            f"Reading: a cold start pays **{app - bare:.0f} ms** of imports beyond `azure.functions` itself.",
        ]
    )


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else Settings()
    rates, cpu, failed = asyncio.run(through_dev_host(settings))
    return Section("Token endpoint", report(rates, cpu, failed, cold_imports(settings), settings))
