"""Dev host benchmark: 1,000 peers join through the dev host's port, beside the same joins on the emulator's own port.

The dev host runs as ``make run`` starts it (``python -m devserver``, its own process, the emulator inside it on a
loopback port). A peer's join is what a page does once it holds a TokenRequest from ``/api/createTokenRequest``
(fetched beforehand, untimed): exchange it for a token (``POST /keys/{keyName}/requestToken``, a REST call), open
the realtime WebSocket, attach the session's channel and enter presence, done at the ACK. Peers join in sessions of
200 (Ably's presence limit) with ``concurrency`` joins in flight, and every peer keeps reading what its session
sends (every later member's enter). With everyone connected, REST calls (``GET /time``) measure how the port
answers meanwhile, and one more peer tries to enter a full session: the emulator must refuse it with 91003.

The baseline is the same joins on the emulator's own port, in the same process, so the ratio is what the proxy
costs. Runs alternate between the two, each on fresh sessions, and every peer leaves (CLOSE) before the next run.
"""

import asyncio
import contextlib
import json
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.processes import ServerProcess, running
from bench.report import RunOptions, Section
from bench.stats import Spread, percentile, ratio
from devserver.open_files import raise_open_file_limit

CONNECTED, ACK, NACK, CLOSE, CLOSED, ATTACH, ATTACHED, PRESENCE = 4, 1, 2, 7, 8, 10, 11, 14
ENTER = 2
TOO_MANY_PRESENCE_MEMBERS = 91003
ABLY_REST = {"X-Ably-Version": "2"}
STEP_TIMEOUT_SECONDS = 60.0
THROUGH, DIRECT = "through the dev host", "emulator directly"


@dataclass(frozen=True)
class DevHostSettings:
    peers: int = 1000
    session_size: int = 200
    concurrency: int = 100
    rest_calls: int = 50
    runs: int = 3


QUICK = DevHostSettings(peers=30, session_size=10, concurrency=10, rest_calls=5, runs=1)


@dataclass
class JoinRun:
    seconds: float
    join_ms: list[float]
    rest_ms: list[float]
    cpu_seconds: float | None
    refusal: int | None  # the error code a peer entering a full session got


class Peer:
    """One page's realtime connection: joined, then reading whatever its session sends until it leaves."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._reading: asyncio.Task | None = None

    async def next(self, *actions: int) -> dict:
        while True:
            message = await self.ws.receive(timeout=STEP_TIMEOUT_SECONDS)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"connection ended while joining: {message.type} {message.data}")
            frame = json.loads(message.data)
            if frame["action"] in actions:
                return frame

    def keep_reading(self) -> None:
        self._reading = asyncio.create_task(self._discard())

    async def _discard(self) -> None:
        async for _ in self.ws:
            pass

    async def leave(self) -> None:
        """CLOSE as ``client.close()`` does, so the emulator forgets the connection and its presence at once."""
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        await self.ws.send_str(json.dumps({"action": CLOSE}))
        while (await self.ws.receive(timeout=STEP_TIMEOUT_SECONDS)).type is aiohttp.WSMsgType.TEXT:
            pass
        await self.ws.close()


async def join(http: aiohttp.ClientSession, base: str, token_request: dict, channel: str) -> tuple[Peer, dict]:
    """A page's join at `base`: token, WebSocket, ATTACH, presence ENTER; returns the peer and the ACK (or NACK)."""
    url = f"{base}/keys/{token_request['keyName']}/requestToken"
    async with http.post(url, json=token_request, headers=ABLY_REST) as response:
        if response.status >= 300:
            raise RuntimeError(f"requestToken answered {response.status}: {await response.text()}")
        token = (await response.json())["token"]
    query = f"access_token={token}&format=json&v=6&heartbeats=false&echo=false"
    peer = Peer(await http.ws_connect(f"ws{base.removeprefix('http')}/?{query}", max_msg_size=0))
    await peer.next(CONNECTED)
    await peer.ws.send_str(json.dumps({"action": ATTACH, "channel": channel}))
    await peer.next(ATTACHED)
    enter = {"action": PRESENCE, "channel": channel, "msgSerial": 0, "presence": [{"action": ENTER}]}
    await peer.ws.send_str(json.dumps(enter))
    return peer, await peer.next(ACK, NACK)


async def token_requests(http: aiohttp.ClientSession, dev_host: str, sessions: list[str]) -> list[dict]:
    """One TokenRequest per peer from the dev host's function, as each page gets its own."""

    async def one(session: str) -> dict:
        async with http.get(f"{dev_host}/api/createTokenRequest?session={session}") as response:
            return await response.json()

    requests: list[dict] = []
    for start in range(0, len(sessions), 50):
        requests += await asyncio.gather(*(one(session) for session in sessions[start : start + 50]))
    return requests


async def join_run(
    http: aiohttp.ClientSession, server: ServerProcess, base: str, settings: DevHostSettings, label: str
) -> JoinRun:
    """Every peer joins at `base`; then REST calls and one peer too many while all are connected; then all leave."""
    sessions = [f"{label}-{index // settings.session_size}" for index in range(settings.peers)]
    tickets = await token_requests(http, server.url, [*sessions, sessions[0]])
    extra = tickets.pop()
    slots = asyncio.Semaphore(settings.concurrency)
    peers: list[Peer] = []
    join_ms: list[float] = []

    async def one(ticket: dict, session: str) -> None:
        async with slots:
            started = time.perf_counter()
            peer, answer = await join(http, base, ticket, f"p2p:{session}")
            join_ms.append((time.perf_counter() - started) * 1000)
            peers.append(peer)
            peer.keep_reading()
            if answer["action"] != ACK:
                raise RuntimeError(f"a peer of {session} could not enter: {answer}")

    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(one(ticket, session) for ticket, session in zip(tickets, sessions, strict=True)))
    seconds = time.perf_counter() - started
    cpu_after = server.cpu_seconds()
    try:
        rest_ms = []
        for _ in range(settings.rest_calls):
            called = time.perf_counter()
            async with http.get(f"{base}/time", headers=ABLY_REST) as response:
                response.raise_for_status()
                await response.read()
            rest_ms.append((time.perf_counter() - called) * 1000)
        late, answer = await join(http, base, extra, f"p2p:{sessions[0]}")
        peers.append(late)
        refusal = answer.get("error", {}).get("code") if answer["action"] == NACK else None
    finally:
        for start in range(0, len(peers), settings.concurrency):
            await asyncio.gather(*(peer.leave() for peer in peers[start : start + settings.concurrency]))
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return JoinRun(seconds, join_ms, rest_ms, cpu, refusal)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def measure(settings: DevHostSettings) -> dict[str, list[JoinRun]]:
    raise_open_file_limit()  # this process holds every peer's socket
    port, emulator_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-dev-host-") as site:
        (Path(site) / "index.html").write_text("<!doctype html><title>bench</title>\n")
        command = ["devserver", "--port", str(port), "--emulator-port", str(emulator_port), "--emulator"]
        command += ["--site", site, "--emulator-presence-limit", str(settings.session_size)]
        connector = aiohttp.TCPConnector(limit=0)
        async with (
            running(command, r"Open (http://\S+?)/?\s*$") as server,
            aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT_SECONDS)
            ) as http,
        ):
            bases = {THROUGH: server.url, DIRECT: f"http://127.0.0.1:{emulator_port}"}
            await join_run(http, server, server.url, DevHostSettings(peers=10, session_size=10, rest_calls=1), "warm")
            runs: dict[str, list[JoinRun]] = {THROUGH: [], DIRECT: []}
            for number in range(settings.runs):
                order = [THROUGH, DIRECT] if number % 2 == 0 else [DIRECT, THROUGH]
                for target in order:
                    label = f"run{number}-{'proxy' if target == THROUGH else 'direct'}"
                    runs[target].append(await join_run(http, server, bases[target], settings, label))
            return runs


def report(settings: DevHostSettings, runs: dict[str, list[JoinRun]]) -> str:
    def row(what: str, value, spec: str = ".0f") -> str:
        through = Spread.of([value(run) for run in runs[THROUGH]])
        direct = Spread.of([value(run) for run in runs[DIRECT]])
        return f"| {what} | {through.format(spec)} | {direct.format(spec)} | {ratio(through.median, direct.median)} |"

    refusals = {run.refusal for target in runs.values() for run in target}
    refused = refusals == {TOO_MANY_PRESENCE_MEMBERS}
    sessions = -(-settings.peers // settings.session_size)
    return "\n".join(
        [
            f"{settings.peers:,} peers join through the dev host's port (`python -m devserver`, its own process, as "
            "`make run` starts it) and, as the baseline, on its emulator's own loopback port (the same process, no "
            f"proxy); {sessions} session(s) of {settings.session_size}, the emulator's presence limit (Ably's: 200), "
            f"{settings.concurrency} joins in flight. A join: token request (REST), WebSocket, ATTACH, presence "
            f"ENTER, until the ACK. {settings.runs} run(s) each, alternating; medians with the spread in brackets.",
            "",
            f"| | {THROUGH} | {DIRECT} | ratio |",
            "|---|---|---|---|",
            row(f"all {settings.peers:,} joined (s)", lambda run: run.seconds, ".2f"),
            row("one join, p50 (ms)", lambda run: percentile(run.join_ms, 50), ".1f"),
            row("one join, p99 (ms)", lambda run: percentile(run.join_ms, 99), ".1f"),
            row(
                f"`GET /time` with all {settings.peers:,} connected, p50 (ms)",
                lambda r: percentile(r.rest_ms, 50),
                ".1f",
            ),
            row(
                "process CPU (dev host with its emulator) during the joins (s)",
                lambda run: run.cpu_seconds or float("nan"),
                ".2f",
            ),
            "",
            "Through the dev host every frame crosses the process twice (page to proxy, proxy to emulator), so the "
            "process's CPU per join is the proxy's cost; wall-clock times depend as much on this load generator and "
            "on the machine's load as on the dev host.",
            "",
            f"Every session filled to {settings.session_size} members on both ports; one more peer entering a full "
            f"session was refused with {TOO_MANY_PRESENCE_MEMBERS}: **{'yes' if refused else 'NO'}** "
            f"(codes seen: {', '.join(str(code) for code in sorted(refusals, key=str))}).",
        ]
    )


def run(options: RunOptions) -> Section:
    """Run the benchmark; return its section of the report."""
    settings = QUICK if options.quick else DevHostSettings()
    runs = asyncio.run(measure(settings))
    return Section(title="Dev host: a crowd through one port", body=report(settings, runs))
