"""Dev host benchmark (issue 18): 1,000 peers join through the dev host's port beside its emulator's own (the proxy's
cost), in sessions of 200 (Ably's presence limit), within Ably's connection rate, with tokens the site's API signed;
then ``GET /time`` with all connected. The peers speak the frames ably-js 2 sends, all in this process."""

import asyncio
import json
import secrets
import time

import aiohttp

from bench.processes import ServerProcess, dev_host, get_json
from bench.report import Section, percentile, side_by_side
from bench.runner import alternating
from devserver.open_files import raise_open_file_limit
from emulator.config import EmulatorConfig
from emulator.protocol import Action

THROUGH, DIRECT = "through the dev host", "emulator directly"
ARRIVALS = 0.8 * EmulatorConfig().max_new_connection_rate  # peers a second, within Ably's rate (the emulator's)
REST = {"X-Ably-Version": "2"}  # what ably-js sends on every REST call (the dev host routes by it)


async def _next(ws: aiohttp.ClientWebSocketResponse, *actions: Action) -> dict:
    """The next frame with one of ``actions``, skipping others."""
    async for message in ws:
        if (frame := json.loads(message.data))["action"] in actions:
            return frame
    raise ConnectionError(f"the connection ended waiting for {actions}")


async def crowd(http: aiohttp.ClientSession, host: ServerProcess, base: str, peers: int, size: int) -> dict:
    """``peers`` join at ``base`` in sessions of ``size``; then REST calls with all connected."""
    run = secrets.token_hex(4)  # each run's sessions are fresh
    sessions = [f"run{run}-{index // size}" for index in range(peers)]
    tickets: list[dict] = []
    for start in range(0, len(sessions), 50):  # the site's API signs them, 50 at a time
        urls = (f"{host.url}/api/createTokenRequest?session={session}" for session in sessions[start : start + 50])
        tickets += await asyncio.gather(*map(get_json, [http] * 50, urls))
    joined, join_ms, started = [], [], time.perf_counter()

    async def join(index: int) -> dict:
        """As a page does, its turn come: token, WebSocket, ATTACH, presence ENTER until the ACK (or NACK); what
        comes next (its session's presence, under 64 KiB) waits in the socket's buffers."""
        await asyncio.sleep(started + index / ARRIVALS - time.perf_counter())
        began, ticket, channel = time.perf_counter(), tickets[index], f"p2p:{sessions[index]}"
        url = f"{base}/keys/{ticket['keyName']}/requestToken"
        async with http.post(url, json=ticket, headers=REST, raise_for_status=True) as response:
            token = (await response.json())["token"]
        query = {"access_token": token, "format": "json", "v": "6", "heartbeats": "false"}
        joined.append(ws := await http.ws_connect(f"ws{base.removeprefix('http')}/", params=query))
        await _next(ws, Action.CONNECTED)
        await ws.send_json({"action": Action.ATTACH, "channel": channel})
        await _next(ws, Action.ATTACHED)
        await ws.send_json({"action": Action.PRESENCE, "channel": channel, "msgSerial": 0, "presence": [{"action": 2}]})
        answer = await _next(ws, Action.ACK, Action.NACK)
        join_ms.append((time.perf_counter() - began) * 1000)
        return answer

    cpu = host.cpu_seconds()
    try:
        answers = await asyncio.gather(*map(join, range(peers)))
        if refused := [answer for answer in answers if answer["action"] != Action.ACK]:
            raise RuntimeError(f"{len(refused)} peers could not enter: {refused[0]}")
        result = {"cpu": (host.cpu_seconds() - cpu) / peers * 1000, "p50": percentile(join_ms, 50)}
        result["p99"], rest_ms = percentile(join_ms, 99), []
        for _ in range(50):
            called = time.perf_counter()
            await get_json(http, f"{base}/time", REST)
            rest_ms.append((time.perf_counter() - called) * 1000)
        return result | {"rest": percentile(rest_ms, 50)}
    finally:
        for ws in joined:  # CLOSE as client.close() sends it, so that the emulator forgets each connection at once
            await ws.send_json({"action": Action.CLOSE})
        await asyncio.gather(*(ws.close() for ws in joined))


async def run(quick: bool) -> Section:
    peers, size, runs = (30, 10, 1) if quick else (1000, 200, 3)
    raise_open_file_limit()
    # Without aiohttp's cap of 100 connections: this process holds every peer's.
    async with dev_host() as host, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        bases = {THROUGH: host.url, DIRECT: host.child.wait_for(r"Emulator: (http://\S+)", 0).group(1)}
        samples = await alternating(list(bases), runs, lambda to: crowd(http, host, bases[to], peers, size))
    rows = {"one join, p50 (ms)": "p50", "one join, p99 (ms)": "p99", "dev host CPU per join (ms)": "cpu"}
    rows[f"`GET /time` with all {peers:,} connected, p50 (ms)"] = "rest"
    return Section(
        "Dev host: a crowd through one port",
        f"{peers:,} peers join in sessions of {size}, {ARRIVALS:g} a second (80 % of Ably's connection rate); {runs} "
        f"run(s) per port, alternating.\n\n{side_by_side(samples, rows, '.2f')}\n\nReading: the ratio is what the dev "
        "host's proxy costs (on this 2-core machine, both ports in the same run).",
    )
