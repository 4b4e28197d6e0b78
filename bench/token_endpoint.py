"""Token endpoint benchmark: what ``GET /api/createTokenRequest`` costs, beside the cheapest function there is.

Three measurements, each in repeated runs:

* in-process call: the function called through ``get_user_function()`` as the Functions host (and tests/api)
  call it, p50/p99 per call, beside a do-nothing function built the same way (the framework's floor);
* requests per second through the dev host (``python -m devserver`` in its own process, on a free port), an
  aiohttp client with bounded concurrency, beside ``/api/clientConfig`` (a function that signs nothing) and a
  static file;
* cold import of ``function_app`` in a fresh interpreter (what a cold start pays before the first request),
  beside a bare ``import azure.functions`` and ``import ably``.
"""

import asyncio
import inspect
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import aiohttp
import azure.functions as func

from bench import plots
from bench.processes import REPO_ROOT, running
from bench.report import RunOptions, Section
from bench.stats import Spread, percentile, ratio

FAKE_KEY = "benchapp.benchkey:local-bench-secret-not-for-production"
SETTINGS = ("ABLY_API_KEY", "ABLY_TOKEN_TTL_SECONDS", "ABLY_ENDPOINT_URL")


@dataclass(frozen=True)
class TokenSettings:
    runs: int = 5
    calls: int = 3000
    warmup_calls: int = 300
    http_seconds: float = 3.0
    concurrency: int = 16
    import_runs: int = 7


QUICK = TokenSettings(runs=1, calls=100, warmup_calls=10, http_seconds=0.5, import_runs=1)

_baseline = func.Blueprint()


@_baseline.route(route="bench-noop", auth_level=func.AuthLevel.ANONYMOUS)
def noop(req: func.HttpRequest) -> func.HttpResponse:
    """The floor: a function that answers a fixed JSON body."""
    return func.HttpResponse("{}", mimetype="application/json")


def _handler(function):
    return function.build().get_user_function()


async def _call(handler, params: dict) -> None:
    request = func.HttpRequest(method="GET", url="/api/x", params=params, headers={}, body=b"")
    result = handler(request)
    response = await result if inspect.isawaitable(result) else result
    if response.status_code != 200:
        raise RuntimeError(f"the function answered {response.status_code}: {response.get_body()[:200]!r}")


async def in_process(settings: TokenSettings) -> dict[str, list[tuple[float, float]]]:
    """Per target, one (p50, p99) in microseconds per run; runs alternate between the targets."""
    from api.functions import create_token_request

    targets = {
        "createTokenRequest?session=…": (_handler(create_token_request), {"session": "bench-session"}),
        "do-nothing function (baseline)": (_handler(noop), {}),
    }
    saved = {name: os.environ.get(name) for name in SETTINGS}
    for name in SETTINGS:
        os.environ.pop(name, None)
    os.environ["ABLY_API_KEY"] = FAKE_KEY
    try:
        for handler, params in targets.values():
            for _ in range(settings.warmup_calls):
                await _call(handler, params)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
        for _ in range(settings.runs):
            for name, (handler, params) in targets.items():
                samples = []
                for _ in range(settings.calls):
                    started = time.perf_counter_ns()
                    await _call(handler, params)
                    samples.append((time.perf_counter_ns() - started) / 1000)
                results[name].append((percentile(samples, 50), percentile(samples, 99)))
        return results
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _load(session: aiohttp.ClientSession, url: str, seconds: float, concurrency: int) -> tuple[float, int]:
    """Requests per second answered 200 within ``seconds``, with ``concurrency`` requests in flight; and errors."""
    deadline = time.perf_counter() + seconds
    done = errors = 0

    async def worker() -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            async with session.get(url) as response:
                await response.read()
                if response.status == 200:
                    done += 1
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started), errors


async def through_dev_host(settings: TokenSettings) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """Per path: requests/s per run, and the dev host's CPU share per run; plus the number of failed requests."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    paths = {
        "/api/createTokenRequest?session=…": "/api/createTokenRequest?session=bench-session",
        "/api/clientConfig (baseline)": "/api/clientConfig",
        "/favicon.svg (static file)": "/favicon.svg",
    }
    command = ["devserver", "--port", "0", "--emulator-port", "0", "--emulator"]
    rates: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    failed = 0
    async with (
        running(command, r"Open (http://\S+?)/?\s*$", env=env) as host,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=settings.concurrency)) as session,
    ):
        for path in paths.values():
            await _load(session, host.url + path, min(0.5, settings.http_seconds), settings.concurrency)
        for _ in range(settings.runs):
            for name, path in paths.items():
                cpu_before, wall_before = host.cpu_seconds(), time.perf_counter()
                rate, errors = await _load(session, host.url + path, settings.http_seconds, settings.concurrency)
                cpu_after = host.cpu_seconds()
                rates[name].append(rate)
                if cpu_before is not None and cpu_after is not None:
                    cpu[name].append((cpu_after - cpu_before) / (time.perf_counter() - wall_before))
                failed += errors
    return rates, cpu, failed


IMPORTS = {
    "import function_app": "function_app",
    "import azure.functions (baseline)": "azure.functions",
    "import ably": "ably",
}


def _import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return float(completed.stdout.strip())


def cold_imports(settings: TokenSettings) -> dict[str, list[float]]:
    """Milliseconds per fresh interpreter for each import; runs alternate between the imports."""
    results: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for module in IMPORTS.values():
        _import_ms(module)  # the first run writes the bytecode caches; a deployed app ships them warm too
    for _ in range(settings.import_runs):
        for name, module in IMPORTS.items():
            results[name].append(_import_ms(module))
    return results


def _plot(calls: dict, rates: dict, imports: dict, out_dir) -> str:
    fig, (left, middle, right) = plots.panels(3, 13.0, 3.4)
    plots.spread_bars(
        left, _short(calls), [Spread.of(p50 for p50, _ in runs) for runs in calls.values()], "in-process call p50 (µs)"
    )
    plots.spread_bars(
        middle, _short(rates), [Spread.of(runs) for runs in rates.values()], "requests/s through the dev host"
    )
    plots.spread_bars(right, _short(imports), [Spread.of(runs) for runs in imports.values()], "cold import (ms)")
    fig.suptitle("Token endpoint: median of runs, whiskers = lowest–highest run", fontsize=10)
    return plots.save(fig, out_dir, "token-endpoint.png")


def _short(results: dict) -> list[str]:
    return [name.replace(" (baseline)", "\n(baseline)").replace(" (static file)", "\n(static)") for name in results]


def report(calls: dict, rates: dict, cpu: dict, failed: int, imports: dict, settings: TokenSettings, image: str) -> str:
    token_p50 = Spread.of(p50 for p50, _ in calls["createTokenRequest?session=…"]).median
    floor_p50 = Spread.of(p50 for p50, _ in calls["do-nothing function (baseline)"]).median
    lines = [
        f"### In-process call ({settings.runs} runs of {settings.calls:,} calls after {settings.warmup_calls} "
        "warm-up calls)",
        "",
        "| function | p50 µs | p99 µs | p50 vs baseline |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in calls.items():
        p50 = Spread.of(p50 for p50, _ in runs)
        p99 = Spread.of(p99 for _, p99 in runs)
        lines.append(f"| {name} | {p50.format('.1f')} | {p99.format('.1f')} | {ratio(p50.median, floor_p50)} |")
    token_rate = Spread.of(rates["/api/createTokenRequest?session=…"]).median
    config_rate = Spread.of(rates["/api/clientConfig (baseline)"]).median
    lines += [
        "",
        f"Signing a TokenRequest costs about **{token_p50 - floor_p50:.0f} µs** per call above the framework's floor.",
        "",
        f"### Through the dev host ({settings.runs} runs of {settings.http_seconds:g} s per path, "
        f"{settings.concurrency} requests in flight)",
        "",
        "| path | requests/s | vs baseline | dev host CPU |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in rates.items():
        spread = Spread.of(runs)
        share = Spread.of(cpu[name])
        cpu_text = f"{share.median:.0%}" if share.median == share.median else "n/a"
        lines.append(f"| {name} | {spread.format(',.0f')} | {ratio(spread.median, config_rate)} | {cpu_text} |")
    lines += [
        "",
        f"Failed requests: {failed}. The dev host is one Python process (aiohttp) that also runs the emulator; "
        "the load generator (the benchmark's own process) runs on the same machine. CPU is the dev host's share of "
        "one core while the path was loaded.",
        "",
        f"### Cold import in a fresh interpreter ({settings.import_runs} runs each, bytecode caches warm)",
        "",
        "| import | ms | vs baseline |",
        "|---|---:|---:|",
    ]
    bare = Spread.of(imports["import azure.functions (baseline)"]).median
    for name, runs in imports.items():
        spread = Spread.of(runs)
        lines.append(
            f"| `{name.removesuffix(' (baseline)')}`{' (baseline)' if 'baseline' in name else ''} "
            f"| {spread.format('.0f')} | {ratio(spread.median, bare)} |"
        )
    app = Spread.of(imports["import function_app"]).median
    lines += [
        "",
        f"A cold start pays about **{app - bare:.0f} ms** of imports on top of `azure.functions` itself; "
        f"`import ably` alone (the SDK that signs the TokenRequests) takes "
        f"{Spread.of(imports['import ably']).median:.0f} ms, much of it shared with `azure.functions`.",
        "",
        f"Token endpoint in one line: **{token_rate:,.0f} requests/s** through the dev host "
        f"({ratio(token_rate, config_rate)} of a function that signs nothing).",
        "",
        f"![Token endpoint]({image})",
    ]
    return "\n".join(lines)


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else TokenSettings()
    calls = asyncio.run(in_process(settings))
    rates, cpu, failed = asyncio.run(through_dev_host(settings))
    imports = cold_imports(settings)
    image = _plot(calls, rates, imports, options.out_dir)
    return Section(
        title="Token endpoint",
        body=report(calls, rates, cpu, failed, imports, settings, image),
        plots=[image],
    )
