"""The clients of the fan-out benchmark: one publisher and N subscribers on one channel of one server, and the
record of which message reached how many subscribers when.

Subscribers find (phase, seq, send time) in each frame with one regular expression, so they pay the same small
cost per delivery whether the emulator framed it as an Ably MESSAGE or the bare broadcaster relayed it as sent.
"""

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

import aiohttp

from bench import ably_wire
from bench.processes import ServerProcess
from emulator.protocol import Action

BENCH_KEY = "benchapp.benchkey:local-bench-secret-not-for-production"
CHANNEL = "bench:fanout"
CONNECT_CONCURRENCY = 20
# The payload tag, bare or JSON-escaped inside an Ably frame's `data` string.
PAYLOAD_TAG = re.compile(r'phase\\?":(\d+),\\?"seq\\?":(\d+),\\?"t\\?":(\d+)')


@dataclass
class Phase:
    """Deliveries of one phase: which message reached how many subscribers, and when."""

    phase_id: int
    messages: int
    subscribers: int
    counts: list[int] = field(init=False)
    completed: int = 0
    received: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    last_receive_ns: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.counts = [0] * self.messages

    def record(self, seq: int, sent_ns: int, now_ns: int) -> None:
        self.received += 1
        self.latencies_ns.append(now_ns - sent_ns)
        self.last_receive_ns = now_ns
        self.counts[seq] += 1
        if self.counts[seq] == self.subscribers:
            self.completed += 1
            self.progress.set()
            if self.completed == self.messages:
                self.done.set()


class Target:
    """One server under test with its subscriber and publisher connections, all on the benchmark channel."""

    name = ""

    def __init__(self, session: aiohttp.ClientSession, server: ServerProcess) -> None:
        self.session = session
        self.server = server
        self.subscribers: list[aiohttp.ClientWebSocketResponse] = []
        self.publisher: aiohttp.ClientWebSocketResponse | None = None
        self.phase: Phase | None = None
        self.errors: list[str] = []
        self.msg_serial = 0
        self._tasks: list[asyncio.Task] = []

    async def open_subscriber(self) -> aiohttp.ClientWebSocketResponse:
        raise NotImplementedError

    async def open_publisher(self) -> aiohttp.ClientWebSocketResponse:
        raise NotImplementedError

    async def open(self, subscribers: int) -> None:
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> aiohttp.ClientWebSocketResponse:
            async with limit:
                return await self.open_subscriber()

        self.subscribers = list(await asyncio.gather(*(one() for _ in range(subscribers))))
        self.publisher = await self.open_publisher()
        self._tasks = [asyncio.create_task(self._receive(ws)) for ws in self.subscribers]
        self._tasks.append(asyncio.create_task(self._publisher_replies(self.publisher)))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in [*self.subscribers, self.publisher] if ws is not None))

    async def publish(self, phase_id: int, seq: int, padding: str) -> None:
        data = f'{{"phase":{phase_id},"seq":{seq},"t":{time.perf_counter_ns()},"pad":"{padding}"}}'
        frame = ably_wire.message_frame(CHANNEL, self.msg_serial, "tick", data)
        self.msg_serial += 1
        if self.publisher is None:
            raise RuntimeError("publish before connect")
        await self.publisher.send_str(frame)

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            now = time.perf_counter_ns()
            phase = self.phase
            for tag in PAYLOAD_TAG.finditer(message.data):
                if phase is not None and int(tag[1]) == phase.phase_id:
                    phase.record(int(tag[2]), int(tag[3]), now)

    async def _publisher_replies(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Read what comes back to the publisher (ACKs); remember refusals so the report can show them."""
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                frame = json.loads(message.data)
                if frame.get("action") in (Action.NACK, Action.ERROR):
                    self.errors.append(message.data)


class BroadcastTarget(Target):
    name = "bare aiohttp broadcast"

    async def open_subscriber(self) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(f"{self.server.ws_url}/", max_msg_size=0)

    async def open_publisher(self) -> aiohttp.ClientWebSocketResponse:
        return await self.open_subscriber()


class EmulatorTarget(Target):
    name = "emulator"

    async def open(self, subscribers: int) -> None:
        self.token = await ably_wire.request_token(self.session, self.server.url, BENCH_KEY)
        await super().open(subscribers)

    async def open_subscriber(self) -> aiohttp.ClientWebSocketResponse:
        ws = await ably_wire.connect(self.session, self.server.ws_url, self.token)
        await ably_wire.attach(ws, CHANNEL)
        return ws

    async def open_publisher(self) -> aiohttp.ClientWebSocketResponse:
        return await ably_wire.connect(self.session, self.server.ws_url, self.token)
