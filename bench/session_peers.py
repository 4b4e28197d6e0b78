"""The Python side of the session benchmark's peers: Node worker processes (bench/peers/worker.mjs), each running
several peers, driven by JSON-line commands, and what every peer was seen to do, from the JSON-line events
the workers print.

Times are the workers' wall clocks in milliseconds (``performance.timeOrigin + performance.now()``), comparable
between processes of one machine; ``wall_ms()`` is the same clock on this side.
"""

import asyncio
import contextlib
import json
import shutil
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from bench.processes import REPO_ROOT, cpu_seconds

WORKER = REPO_ROOT / "bench" / "peers" / "worker.mjs"
READY_TIMEOUT_SECONDS = 30.0
EXIT_TIMEOUT_SECONDS = 10.0
STDERR_TAIL_CHARS = 4000


def wall_ms() -> float:
    return time.time() * 1000


T = TypeVar("T")


def known(value: T | None, what: str) -> T:
    """A peer field its events have set by now (``until`` said so); fails loudly if that event never came."""
    if value is None:
        raise RuntimeError(f"no {what} event was seen")
    return value


@dataclass
class Peer:
    """Everything one peer was seen to do."""

    name: str
    worker: "Worker"
    id: str | None = None
    start_t: float | None = None
    connected_t: float | None = None  # its Ably connection first connected
    roster: set[str] = field(default_factory=set)
    first_seen: dict[str, float] = field(default_factory=dict)  # clientId → when it first appeared in the roster
    host: str | None = None
    host_since: float | None = None
    status: str | None = None
    status_since: float | None = None
    words: dict[int, float] = field(default_factory=dict)  # index → when it became visible
    sent: dict[int, float] = field(default_factory=dict)  # index → when this peer (as host) published it
    streamed_t: float | None = None
    flooded_t: float | None = None
    closing_t: float | None = None

    def sees_all(self, ids: Iterable[str]) -> bool:
        return all(peer_id in self.roster for peer_id in ids)


@dataclass
class Worker:
    name: str
    process: asyncio.subprocess.Process
    stderr_tail: str = ""
    tasks: list[asyncio.Task] = field(default_factory=list)


class PeerPool:
    """Starts workers, sends them commands, and keeps a ``Peer`` per peer name from their events."""

    def __init__(self, dev_host_url: str, word_interval_ms: int) -> None:
        self.config = json.dumps({"devHostUrl": dev_host_url, "wordIntervalMs": word_interval_ms})
        self.node = shutil.which("node") or "node"
        self.workers: list[Worker] = []
        self.peers: dict[str, Peer] = {}
        self.errors: list[str] = []
        self._ready: dict[str, asyncio.Event] = {}
        self._waiters: list[tuple[set[str], asyncio.Event]] = []

    async def start_worker(self, name: str) -> Worker:
        process = await asyncio.create_subprocess_exec(
            self.node,
            str(WORKER),
            self.config,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=REPO_ROOT,
            limit=1 << 20,
        )
        worker = Worker(name, process)
        self.workers.append(worker)
        self._ready[name] = asyncio.Event()
        worker.tasks = [
            asyncio.create_task(self._read_events(worker)),
            asyncio.create_task(self._keep_stderr(worker)),
        ]
        try:
            await asyncio.wait_for(self._ready[name].wait(), READY_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RuntimeError(f"peer worker {name} did not start:\n{worker.stderr_tail}") from None
        return worker

    async def send(self, worker: Worker, command: dict) -> None:
        stdin = worker.process.stdin
        assert stdin is not None, "workers start with stdin=PIPE"
        stdin.write((json.dumps(command) + "\n").encode())
        await stdin.drain()

    async def join(self, name: str, worker: Worker, protocol: str, session: str, role: str = "guest") -> None:
        self.peers[name] = Peer(name, worker)
        await self.send(worker, {"c": "join", "p": name, "proto": protocol, "role": role, "session": session})

    async def stream(self, name: str, times: int = 1) -> None:
        await self.send(self.peers[name].worker, {"c": "stream", "p": name, "times": times})

    async def flood(self, name: str, count: int) -> None:
        """The site peer `name` sends `count` `connected` to its host at once."""
        await self.send(self.peers[name].worker, {"c": "flood", "p": name, "count": count})

    async def close_peer(self, name: str) -> None:
        await self.send(self.peers[name].worker, {"c": "close", "p": name})

    def kill(self, worker: Worker) -> float:
        """SIGKILL a worker, as a crashed browser or a dead network would end its peers; returns when (wall ms)."""
        killed_at = wall_ms()
        with contextlib.suppress(ProcessLookupError):
            worker.process.send_signal(signal.SIGKILL)
        return killed_at

    def cpu_seconds(self) -> float:
        """CPU time all live workers have used so far: every peer's ably-js and app code together."""
        return sum(
            cpu_seconds(worker.process.pid) or 0.0 for worker in self.workers if worker.process.returncode is None
        )

    async def until(self, names: Iterable[str], condition: Callable[[Peer], bool], timeout: float) -> list[str]:
        """Wait until ``condition`` holds for every named peer; return those for which it still does not after
        ``timeout`` seconds (empty when all made it). Re-checks a peer only after an event of that peer."""
        pending = {name for name in names if not condition(self.peers[name])}
        dirty: set[str] = set()
        changed = asyncio.Event()
        waiter = (dirty, changed)
        self._waiters.append(waiter)
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while pending:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
                changed.clear()
                checked = dirty & pending
                dirty.clear()
                pending -= {name for name in checked if condition(self.peers[name])}
            return sorted(pending)
        finally:
            self._waiters.remove(waiter)

    async def stop(self) -> None:
        """Ask every worker to close its peers and exit; kill those that do not within the bound."""
        for worker in self.workers:
            if worker.process.returncode is None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.send(worker, {"c": "exit"})
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.process.wait(), EXIT_TIMEOUT_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
            for task in worker.tasks:
                task.cancel()
        self.workers = []

    async def _read_events(self, worker: Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None, "workers start with stdout=PIPE"
        while line := await stdout.readline():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self._apply(worker, event)

    async def _keep_stderr(self, worker: Worker) -> None:
        stderr = worker.process.stderr
        assert stderr is not None, "workers start with stderr=PIPE"
        while chunk := await stderr.read(65536):
            worker.stderr_tail = (worker.stderr_tail + chunk.decode(errors="replace"))[-STDERR_TAIL_CHARS:]

    def _apply(self, worker: Worker, event: dict) -> None:
        kind, t = event.get("e"), float(event["t"])  # observe.mjs's emit() stamps every event
        if kind == "ready":
            self._ready[worker.name].set()
            return
        if kind == "error":
            self.errors.append(f"{event.get('p')}: {event.get('message')}")
            return
        name = event.get("p")
        peer = self.peers.get(name) if isinstance(name, str) else None
        if peer is None:
            return
        if kind == "start":
            peer.start_t = t
        elif kind == "connected":
            peer.connected_t = t
        elif kind == "joined":
            peer.id = event["id"]
        elif kind == "roster":
            for peer_id in event["add"]:
                peer.roster.add(peer_id)
                peer.first_seen.setdefault(peer_id, t)
            peer.roster.difference_update(event["del"])
        elif kind == "host":
            peer.host, peer.host_since = event["host"], t
        elif kind == "status":
            peer.status, peer.status_since = event["status"], t
        elif kind == "word":
            peer.words.setdefault(event["i"], t)
        elif kind == "sent":
            peer.sent.setdefault(event["i"], t)
        elif kind == "streamed":
            peer.streamed_t = t
        elif kind == "flooded":
            peer.flooded_t = t
        elif kind == "closing":
            peer.closing_t = t
        for dirty, changed in self._waiters:
            dirty.add(peer.name)
            changed.set()
