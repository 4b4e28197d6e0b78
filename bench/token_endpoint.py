"""Token endpoint benchmark: ``GET /api/createTokenRequest`` through the dev host beside a static file and a function
that signs nothing; and what a cold start pays, ``import function_app`` in a fresh interpreter beside its libraries'."""

import asyncio
import subprocess
import sys
import time

import aiohttp

from bench.processes import REPO_ROOT, dev_host
from bench.report import Section, side_by_side
from bench.runner import alternating

PATHS = {"/api/createTokenRequest?session=…": "/api/createTokenRequest?session=bench-session"}
PATHS["/favicon.svg (static file)"] = "/favicon.svg"
PATHS["/api/clientConfig (baseline)"] = "/api/clientConfig"
IMPORTS = {f"`import {name}`": name for name in ("function_app", "ably", "azure.functions")}
CONCURRENCY = 16


def _import_ms(module: str) -> dict:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return {"ms": float(done.stdout)}


async def run(quick: bool) -> Section:
    runs, seconds = (1, 0.5) if quick else (5, 3.0)
    async with dev_host() as host, aiohttp.ClientSession() as http:

        async def once(name: str) -> dict:
            """Requests/s answered 200, failures, and the dev host's share of a core."""
            deadline, answers = time.perf_counter() + seconds, []

            async def client() -> None:
                while time.perf_counter() < deadline:
                    async with http.get(host.url + PATHS[name]) as response:
                        await response.read()
                        answers.append(response.status == 200)

            cpu, started = host.cpu_seconds(), time.perf_counter()
            await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - started
            cpu_percent = (host.cpu_seconds() - cpu) / elapsed * 100
            return {"rate": sum(answers) / elapsed, "failed": answers.count(False), "cpu": cpu_percent}

        rates = await alternating(list(PATHS), runs, once)
    imports = await alternating(list(IMPORTS), runs, lambda name: asyncio.to_thread(_import_ms, IMPORTS[name]))
    failed = sum(run["failed"] for runs_ in rates.values() for run in runs_)
    return Section(
        "Token endpoint",
        f"""Through the dev host: {runs} run(s) of {seconds:g} s per path, {CONCURRENCY} requests in flight from this \
process; CPU is the dev host's share of one core.

{side_by_side(rates, {"requests/s": "rate", "dev host CPU %": "cpu"}, ",.0f")}

Reading: the ratio is the token endpoint's rate against a function that signs nothing, on this 2-core machine in the \
same run (failed requests: {failed}).

{side_by_side(imports, {"cold import in a fresh interpreter, ms": "ms"})}

Reading: the ratio is what a cold start pays in imports against `azure.functions` alone (the baseline, same run).""",
    )
