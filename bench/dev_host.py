"""Dev host benchmark (issue 18): 1,000 peers join through the dev host's port, beside the same joins on its emulator's
own port (the proxy's cost). A join is what a page does with the TokenRequest the site's API gave it (fetched
beforehand): token, WebSocket, ATTACH, presence ENTER until the ACK; sessions of 200 (Ably's presence limit), every
peer reading what its session sends. With all connected, ``GET /time`` calls time the port, and one more peer must be
refused from a full session (91003). Runs alternate between the ports, on fresh sessions."""

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess, dev_host
from bench.report import RunOptions, Section, table
from bench.stats import Spread, percentile, ratio
from devserver.open_files import raise_open_file_limit
from emulator.protocol import Action

THROUGH, DIRECT = "through the dev host", "emulator directly"
TOO_MANY_MEMBERS = 91003
REST_CALLS = 50  # `GET /time` with everyone connected


@dataclass(frozen=True)
class Settings:
    peers: int = 1000
    session_size: int = 200
    concurrency: int = 100
    runs: int = 3


QUICK = Settings(peers=30, session_size=10, concurrency=10, runs=1)


@dataclass
class Run:
    seconds: float
    join_ms: list[float]
    rest_ms: list[float]
    cpu_seconds: float
    refusal: int | None  # the error code a peer entering a full session got


async def _join(http: aiohttp.ClientSession, base: str, ticket: dict, channel: str):
    ws = await ably_wire.connect(http, base, await ably_wire.token(http, base, ticket))
    await ably_wire.attach(ws, channel)
    await ably_wire.send(ws, Action.PRESENCE, channel=channel, msgSerial=0, presence=[{"action": 2}])  # ENTER
    return ws, await ably_wire.next_frame(ws, Action.ACK, Action.NACK)


async def _discard(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def join_run(http: aiohttp.ClientSession, host: ServerProcess, base: str, settings: Settings, label: str) -> Run:
    """Every peer joins at ``base``; with all connected, REST calls and one peer too many; then all leave."""
    sessions = [f"{label}-{index // settings.session_size}" for index in range(settings.peers + 1)]
    sessions[-1] = sessions[0]  # the peer too many
    tickets = []
    for start in range(0, len(sessions), 50):
        urls = [f"{host.url}/api/createTokenRequest?session={session}" for session in sessions[start : start + 50]]
        tickets += await asyncio.gather(*(_get_json(http, url) for url in urls))
    slots = asyncio.Semaphore(settings.concurrency)
    peers: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[asyncio.Task] = []
    join_ms: list[float] = []

    async def one(ticket: dict, session: str) -> None:
        async with slots:
            started = time.perf_counter()
            ws, answer = await _join(http, base, ticket, f"p2p:{session}")
            join_ms.append((time.perf_counter() - started) * 1000)
            peers.append(ws)
            readers.append(asyncio.create_task(_discard(ws)))
            if answer["action"] != Action.ACK:
                raise RuntimeError(f"a peer of {session} could not enter: {answer}")

    cpu_before, started = host.cpu_seconds() or 0.0, time.perf_counter()
    await asyncio.gather(*(one(ticket, session) for ticket, session in zip(tickets[:-1], sessions[:-1], strict=True)))
    seconds, cpu = time.perf_counter() - started, (host.cpu_seconds() or 0.0) - cpu_before
    try:
        rest_ms = []
        for _ in range(REST_CALLS):
            called = time.perf_counter()
            await _get_json(http, f"{base}/time", ably_wire.REST)
            rest_ms.append((time.perf_counter() - called) * 1000)
        late, answer = await _join(http, base, tickets[-1], f"p2p:{sessions[-1]}")
        peers.append(late)
        refusal = answer.get("error", {}).get("code") if answer["action"] == Action.NACK else None
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for start in range(0, len(peers), settings.concurrency):
            await asyncio.gather(*(ably_wire.close(ws) for ws in peers[start : start + settings.concurrency]))
    return Run(seconds, join_ms, rest_ms, cpu, refusal)


async def _get_json(http: aiohttp.ClientSession, url: str, headers: dict | None = None):
    async with http.get(url, headers=headers) as response:
        response.raise_for_status()
        return await response.json()


async def measure(settings: Settings) -> dict[str, list[Run]]:
    raise_open_file_limit()  # this process holds every peer's socket
    async with (
        dev_host("--emulator-presence-limit", str(settings.session_size)) as host,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        bases = {THROUGH: host.url, DIRECT: host.printed(r"Emulator: (http://\S+)")}
        await join_run(http, host, host.url, Settings(peers=10, session_size=10), "warm")
        runs: dict[str, list[Run]] = {THROUGH: [], DIRECT: []}
        for number in range(settings.runs):
            for target in [THROUGH, DIRECT][:: 1 if number % 2 == 0 else -1]:
                label = f"run{number}-{'proxy' if target == THROUGH else 'direct'}"
                runs[target].append(await join_run(http, host, bases[target], settings, label))
        return runs


def report(settings: Settings, runs: dict[str, list[Run]]) -> str:
    def row(what: str, value, spec: str) -> list[str]:
        through, direct = (Spread.of([value(run) for run in runs[target]]) for target in (THROUGH, DIRECT))
        return [what, through.format(spec), direct.format(spec), ratio(through.median, direct.median)]

    refusals = {run.refusal for target in runs.values() for run in target}
    rows = [
        row(f"all {settings.peers:,} joined (s)", lambda run: run.seconds, ".2f"),
        row("one join, p50 (ms)", lambda run: percentile(run.join_ms, 50), ".1f"),
        row("one join, p99 (ms)", lambda run: percentile(run.join_ms, 99), ".1f"),
        row(f"`GET /time` with all {settings.peers:,} connected, p50 (ms)", lambda r: percentile(r.rest_ms, 50), ".1f"),
        row("CPU of the dev host's process during the joins (s)", lambda run: run.cpu_seconds, ".2f"),
    ]
    return "\n\n".join(
        [
            f"{settings.peers:,} peers join in sessions of {settings.session_size}, {settings.concurrency} at a time; "
            f"{settings.runs} run(s) per port, alternating.",
            table(["", THROUGH, DIRECT, "ratio"], rows),
            "Reading: the ratio is what the dev host's proxy costs a join; one peer more in a full session was refused "
            f"with {TOO_MANY_MEMBERS}: **{'yes' if refusals == {TOO_MANY_MEMBERS} else 'NO'}**.",
        ]
    )


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else Settings()
    return Section("Dev host: a crowd through one port", report(settings, asyncio.run(measure(settings))))
