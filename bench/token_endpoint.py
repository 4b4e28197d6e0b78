"""Token endpoint benchmark: ``GET /api/createTokenRequest`` through the dev host (``python -m devserver``, its own
process) beside a static file and a function that signs nothing, with bounded concurrency; the cold import of
``function_app`` in a fresh interpreter (what a cold start pays before its first request) beside
``import azure.functions``; and the emulator's ``requestToken`` with 20,000 live tokens beside none (issue 18: each
request used to scan every live token). Runs alternate between the targets."""

import asyncio
import subprocess
import sys
import time

import aiohttp

from bench import ably_wire
from bench.processes import REPO_ROOT, dev_host, emulator, http_client
from bench.report import Section, Spread, side_by_side
from bench.runner import alternating

PATHS = {"/api/createTokenRequest?session=…": "/api/createTokenRequest?session=bench-session"}
PATHS["/favicon.svg (static file)"] = "/favicon.svg"
PATHS["/api/clientConfig (baseline)"] = "/api/clientConfig"
IMPORTS = {f"`import {name}`": name for name in ("function_app", "ably", "azure.functions")}
KEY = "tokenapp.tokenkey:local-bench-secret-not-for-production"
CONCURRENCY = 16


async def _load(concurrency: int, seconds: float, request) -> dict:
    """``request()`` ``concurrency`` at a time for ``seconds``: answered 200 per second, and failures."""
    deadline, answers = time.perf_counter() + seconds, []

    async def worker() -> None:
        while time.perf_counter() < deadline:
            answers.append(await _ok(request()))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"rate": sum(answers) / (time.perf_counter() - started), "failed": answers.count(False)}


async def _ok(response_context) -> bool:
    async with response_context as response:
        await response.read()
        return response.status == 200


async def endpoint(http: aiohttp.ClientSession, runs: int, seconds: float) -> dict[str, list[dict]]:
    """Per path, requests/s and the dev host's share of a core, per run."""
    async with dev_host() as host:

        async def once(name: str) -> dict:
            cpu, started = host.cpu_seconds(), time.perf_counter()
            load = await _load(CONCURRENCY, seconds, lambda: http.get(host.url + PATHS[name]))
            return load | {"cpu": (host.cpu_seconds() - cpu) / (time.perf_counter() - started) * 100}

        return await alternating(list(PATHS), runs, once)


async def token_store(http: aiohttp.ClientSession, live: int, slices: int, seconds: float) -> dict[str, list[dict]]:
    """Requests/s and the emulator's CPU µs per request at two emulators, ``live`` tokens issued first at one."""
    async with emulator("--key", KEY) as none, emulator("--key", KEY) as many:

        def exchange(server):  # a freshly signed TokenRequest each time, as the SDKs sign them
            url = f"{server.url}/keys/{KEY.split(':')[0]}/requestToken"
            return lambda: http.post(url, json=ably_wire.signed_token_request(KEY))

        issued = []
        for start in range(0, live, 4 * CONCURRENCY):
            issued += await asyncio.gather(*(_ok(exchange(many)()) for _ in range(min(4 * CONCURRENCY, live - start))))
        targets = {f"{live:,} live tokens": many, "none issued before": none}

        async def once(name: str) -> dict:
            cpu = targets[name].cpu_seconds()
            load = await _load(CONCURRENCY, seconds, exchange(targets[name]))
            return load | {"cpu": (targets[name].cpu_seconds() - cpu) / (load["rate"] * seconds) * 1e6}

        samples = await alternating(list(targets), slices, once)
        samples[next(iter(targets))][0]["failed"] += issued.count(False)
        return samples


def _import_ms(module: str) -> dict:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return {"ms": float(done.stdout)}


async def run(quick: bool) -> Section:
    runs, seconds, live = (1, 0.5, 2000) if quick else (5, 3.0, 20_000)
    async with http_client() as http:
        rates = await endpoint(http, runs, seconds)
        store = await token_store(http, live, 4 * runs, seconds / 4)
    imports = await alternating(list(IMPORTS), runs, lambda name: asyncio.to_thread(_import_ms, IMPORTS[name]))
    # Each slice beside the other emulator's next to it in time, so that the machine's load weighs on both alike.
    ratio_live = Spread.of(live["rate"] / none["rate"] for live, none in zip(*store.values(), strict=True)).median
    failed = sum(run["failed"] for samples in (rates, store) for runs_ in samples.values() for run in runs_)
    return Section(
        "Token endpoint",
        f"""Through the dev host: {runs} run(s) of {seconds:g} s per path, {CONCURRENCY} requests in flight from this \
process; CPU is the dev host's share of one core.

{side_by_side(rates, {"requests/s": "rate", "dev host CPU %": "cpu"}, ",.0f")}

Reading: the ratio is the token endpoint's rate against a function that signs nothing, on this 2-core machine in the \
same run (failed requests, all tables: {failed}).

{side_by_side(imports, {"cold import in a fresh interpreter, ms": "ms"})}

Reading: the ratio is what a cold start pays in imports against `azure.functions` alone (the baseline, same run).

{side_by_side(store, {"emulator `requestToken`/s": "rate", "emulator CPU µs per request": "cpu"}, ",.0f")}

Reading: {4 * runs} alternating slices of {seconds / 4:g} s at two fresh emulators, one first issued {live:,} tokens \
(all live); goal, requests/s ≥ 0.9× (the median of adjacent slices' ratios: {ratio_live:.2f}×): \
**{"met" if ratio_live >= 0.9 else "NOT met"}**; CPU per request hardly depends on the machine's other load (before \
issue 18 every request scanned every live token: about 0.1×).""",
    )
