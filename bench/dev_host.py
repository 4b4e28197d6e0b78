"""Dev host benchmark (issue 18): 1,000 peers join through the dev host's port, beside the same joins on its emulator's
own port (the proxy's cost), in sessions of 200 (Ably's presence limit), each with the TokenRequest the site's API
gave it (fetched beforehand). With all connected, ``GET /time`` calls time the port, and one more peer must be
refused from a full session (91003)."""

import asyncio
import itertools
import time

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess, dev_host, get_json, http_client
from bench.report import Section, percentile, side_by_side
from bench.runner import alternating
from devserver.open_files import raise_open_file_limit
from emulator.protocol import Action

THROUGH, DIRECT = "through the dev host", "emulator directly"
TOO_MANY_MEMBERS = 91003
_runs = itertools.count()  # each run's sessions are fresh


async def _discard(ws: ably_wire.WebSocket) -> None:
    async for _ in ws:
        pass


async def crowd(http: aiohttp.ClientSession, host: ServerProcess, base: str, peers: int, size: int, at_once: int):
    """``peers`` join at ``base`` in sessions of ``size``; with all connected, REST calls and one peer too many."""
    run = next(_runs)
    sessions = [f"run{run}-{index // size}" for index in range(peers)] + [f"run{run}-0"]  # and the peer too many
    tickets: list[dict] = []
    for start in range(0, len(sessions), 50):  # the site's API signs them, 50 at a time
        urls = (f"{host.url}/api/createTokenRequest?session={session}" for session in sessions[start : start + 50])
        tickets += await asyncio.gather(*map(get_json, [http] * 50, urls))
    slots, joined, readers, join_ms = asyncio.Semaphore(at_once), [], [], []

    async def join(ticket: dict, session: str) -> dict:
        """As a page does: token, WebSocket, ATTACH, presence ENTER until the ACK (or NACK); then reading all."""
        async with slots:
            started = time.perf_counter()
            joined.append(ws := await ably_wire.connect(http, base, ticket))
            await ably_wire.attach(ws, f"p2p:{session}")
            await ably_wire.send(ws, Action.PRESENCE, channel=f"p2p:{session}", msgSerial=0, presence=[{"action": 2}])
            answer = await ably_wire.next_frame(ws, Action.ACK, Action.NACK)
            join_ms.append((time.perf_counter() - started) * 1000)
            readers.append(asyncio.create_task(_discard(ws)))
            return answer

    cpu, started = host.cpu_seconds(), time.perf_counter()
    answers = await asyncio.gather(*map(join, tickets[:-1], sessions[:-1]))
    result = {"seconds": time.perf_counter() - started, "cpu": host.cpu_seconds() - cpu}
    result |= {"p50": percentile(join_ms, 50), "p99": percentile(join_ms, 99)}
    try:
        if refused := [answer for answer in answers if answer["action"] != Action.ACK]:
            raise RuntimeError(f"{len(refused)} peers could not enter: {refused[0]}")
        rest_ms = []
        for _ in range(50):
            called = time.perf_counter()
            await get_json(http, f"{base}/time", ably_wire.REST)
            rest_ms.append((time.perf_counter() - called) * 1000)
        late = await join(tickets[-1], sessions[-1])
        result |= {"rest": percentile(rest_ms, 50), "refused": late.get("error", {}).get("code") == TOO_MANY_MEMBERS}
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for start in range(0, len(joined), at_once):
            await asyncio.gather(*(ably_wire.close(ws) for ws in joined[start : start + at_once]))
    return result


async def run(quick: bool) -> Section:
    peers, size, at_once, runs = (30, 10, 10, 1) if quick else (1000, 200, 100, 3)
    raise_open_file_limit()  # this process holds every peer's socket
    async with (
        dev_host("--emulator-presence-limit", str(size)) as host,
        http_client() as http,
    ):
        bases = {THROUGH: host.url, DIRECT: host.child.wait_for(r"Emulator: (http://\S+)", 0).group(1)}
        samples = await alternating(list(bases), runs, lambda to: crowd(http, host, bases[to], peers, size, at_once))
    rows = {f"all {peers:,} joined (s)": "seconds", "one join, p50 (ms)": "p50", "one join, p99 (ms)": "p99"}
    rows |= {
        f"`GET /time` with all {peers:,} connected, p50 (ms)": "rest",
        "CPU of the dev host during joins (s)": "cpu",
    }
    refused = all(run["refused"] for runs in samples.values() for run in runs)
    return Section(
        "Dev host: a crowd through one port",
        f"{peers:,} peers join in sessions of {size}, {at_once} at a time; {runs} run(s) per port, alternating.\n\n"
        f"{side_by_side(samples, rows, '.2f')}\n\nReading: the ratio is what the dev host's proxy costs a join (on "
        "this 2-core machine, both ports in the same run); one peer more in a full session was refused with "
        f"{TOO_MANY_MEMBERS}: **{'yes' if refused else 'NO'}**.",
    )
