"""What a session benchmark scenario drives and reads: its peers, in Node worker processes (bench/peers/worker.mjs)
driven by JSON-line commands, what each was seen to do (from the JSON-line events they print), ``until``, the one way
a scenario waits (every named peer reached a state; when the last one did), and the emulator's billing counters.
Times are the workers' wall clocks in ms, comparable between the processes of one machine (``wall_ms()`` here)."""

import asyncio
import contextlib
import json
import math
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from api.token_policy import channel_name_for
from bench.processes import REPO_ROOT, cpu_seconds

Process = asyncio.subprocess.Process
# Two to ten friends, the common case: each peer gets a process of its own, as each friend has a device; larger
# sessions share processes (PEERS_PER_WORKER each) so that 200 fit on two cores.
SMALL_SESSION, PEERS_PER_WORKER = 10, 25


def wall_ms() -> float:
    return time.time() * 1000


class Late(Exception):
    """Peers did not reach a state in time: the run fails, saying which state and how many were late."""


@dataclass
class Peer:
    """What one peer was seen to do: its roster (``seen``: when each clientId first appeared in it), the last value
    and time of every other event, and when each (event, value) first came (``("word", 3)``: word 3 visible)."""

    worker: Process
    roster: set[str] = field(default_factory=set)
    seen: dict[str, float] = field(default_factory=dict)
    last: dict[str, tuple[Any, float]] = field(default_factory=dict)
    first: dict[tuple[str, Any], float] = field(default_factory=dict)

    def get(self, event: str) -> Any:
        return self.last.get(event, (None, None))[0]

    def at(self, event: str, value: Any = None) -> float | None:
        """When ``event`` last came (with ``value``, only if that is its last value), or None."""
        got, when = self.last.get(event, (None, None))
        return when if value is None or got == value else None

    def sees(self, ids: list[str]) -> float | None:
        """When the last of ``ids`` appeared in the roster, if all are in it now."""
        return max(self.seen[peer_id] for peer_id in ids) if self.roster.issuperset(ids) else None


class PeerPool:
    """One scenario run's peers, of one protocol, at one pace (ms between words); and the emulator's counters."""

    def __init__(self, dev_host_url: str, http: aiohttp.ClientSession, emulator_url: str, protocol: str, interval: int):
        self.config = json.dumps({"devHostUrl": dev_host_url})
        self.http, self.emulator_url, self.protocol, self.interval = http, emulator_url, protocol, interval
        self.workers: list[Process] = []
        self.peers: dict[str, Peer] = {}
        self.errors: list[str] = []
        self._tasks: list[asyncio.Task] = []
        self._waiters: list[tuple[set[str], asyncio.Event]] = []  # (peers with new events, set on any)

    async def start(self, n: int, prefix: str, dedicated: int = 0) -> tuple[str, list[str], list[Process]]:
        """A fresh session, ``n`` peer names and a worker for each: up to SMALL_SESSION one each, else the first
        ``dedicated`` one each (so killing one ends only that peer) and the rest PEERS_PER_WORKER to a worker."""
        own = await asyncio.gather(*(self._start_worker() for _ in range(n if n <= SMALL_SESSION else dedicated)))
        count = 0 if n <= SMALL_SESSION else math.ceil((n - dedicated) / PEERS_PER_WORKER)
        shared = await asyncio.gather(*(self._start_worker() for _ in range(count)))
        workers = [*own, *(shared[index % count] for index in range(n - len(own)))]
        session = "bench-" + secrets.token_urlsafe(9).replace("_", "x").replace("-", "y")
        return session, [f"{prefix}{index}" for index in range(n)], workers

    async def _start_worker(self) -> Process:
        pipe, worker_js = asyncio.subprocess.PIPE, str(REPO_ROOT / "bench" / "peers" / "worker.mjs")
        worker = await asyncio.create_subprocess_exec(
            "node", worker_js, self.config, stdin=pipe, stdout=pipe, stderr=pipe, cwd=REPO_ROOT, limit=1 << 20
        )
        self.workers.append(worker)
        stdout, stderr = worker.stdout, worker.stderr
        assert stdout is not None, "workers start with PIPEs"
        assert stderr is not None, "workers start with PIPEs"
        if json.loads(await asyncio.wait_for(stdout.readline(), 30) or "{}").get("e") != "ready":
            raise RuntimeError(f"a peer worker did not start: {(await stderr.read()).decode()[-4000:]}")
        self._tasks += [asyncio.create_task(stderr.read()), asyncio.create_task(self._read_events(stdout))]
        return worker

    async def send(self, worker: Process, command: str, **fields) -> None:
        assert worker.stdin is not None, "workers start with PIPEs"
        worker.stdin.write((json.dumps({"c": command, **fields}) + "\n").encode())
        await worker.stdin.drain()

    async def join(self, name: str, worker: Process, session: str, role: str = "guest") -> None:
        self.peers[name] = Peer(worker)
        await self.send(worker, "join", p=name, proto=self.protocol, role=role, session=session, interval=self.interval)

    async def call(self, name: str, method: str, *args) -> None:
        """``stream(times)``, ``flood(count)`` or ``close()`` one peer; its ``called`` event says it is done."""
        await self.send(self.peers[name].worker, "call", p=name, method=method, args=args)

    def kill(self, worker: Process) -> float:
        """SIGKILL a worker, as a crashed browser or a dead network ends its peers; returns when (wall ms)."""
        killed_at = wall_ms()
        with contextlib.suppress(ProcessLookupError):
            worker.kill()
        return killed_at

    def cpu_seconds(self) -> float:
        """CPU time all live workers have used so far: every peer's ably-js and app code together."""
        return sum(cpu_seconds(worker.pid) for worker in self.workers if worker.returncode is None)

    async def until(self, names: Iterable[str], when: Callable[[Peer], float | None], what: str, timeout=30.0) -> float:
        """Wait until ``when(peer)`` gives a time for every named peer; return the latest, or raise ``Late``. A peer
        is checked again only after an event of its own, so N peers × N events stay cheap."""
        names = list(names)
        pending = {name for name in names if when(self.peers[name]) is None}
        dirty, changed = waiter = (set[str](), asyncio.Event())
        self._waiters.append(waiter)
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while pending:
                try:
                    await asyncio.wait_for(changed.wait(), deadline - asyncio.get_running_loop().time())
                except TimeoutError:
                    raise Late(f"{len(pending)} of {len(names)} peers not {what} within {timeout:.0f} s") from None
                changed.clear()
                pending -= {name for name in dirty & pending if when(self.peers[name]) is not None}
                dirty.clear()
        finally:
            self._waiters.remove(waiter)
        return max((when(self.peers[name]) or 0.0 for name in names), default=0.0)

    async def stats(self) -> dict:
        async with self.http.get(f"{self.emulator_url}/_emulator/stats") as response:
            return (await response.json())["channels"]

    async def reset(self) -> None:
        await self.http.post(f"{self.emulator_url}/_emulator/stats/reset")

    async def cost(self, session: str) -> dict[str, float]:
        """Since the last reset, on the session's channels (``p2p:<id>``, and the site's inboxes), as Ably bills."""
        channel = channel_name_for(session)
        mine = [c for name, c in (await self.stats()).items() if name == channel or name.startswith(f"{channel}:")]
        deliveries = sum(c["messages_delivered"] + c["presence_delivered"] for c in mine)
        published = sum(c["messages_published"] + c["presence_published"] for c in mine)
        mb, largest = sum(c["bytes_out"] for c in mine) / 1e6, max((c["max_message_bytes"] for c in mine), default=0)
        return {"deliveries": deliveries, "published": published, "mb": mb, "max_message": largest}

    async def stop(self) -> None:
        """Ask every worker to close its peers and exit; kill those that do not within 10 s."""
        for worker in self.workers:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.send(worker, "exit")
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.wait(), 10)
            except TimeoutError:
                self.kill(worker)
                await worker.wait()

    async def _read_events(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            event = json.loads(line)
            name, kind, t = event.get("p"), event["e"], float(event["t"])
            if kind == "error":
                self.errors.append(f"{name}: {event.get('message')}")
            if (peer := self.peers.get(name or "")) is None:
                continue
            if kind == "roster":
                peer.roster.update(event["add"])
                peer.roster.difference_update(event["del"])
                for peer_id in event["add"]:
                    peer.seen.setdefault(peer_id, t)
            else:
                peer.last[kind] = (event.get("v"), t)
                peer.first.setdefault((kind, event.get("v")), t)
            for dirty, changed in self._waiters:
                dirty.add(name)
                changed.set()
