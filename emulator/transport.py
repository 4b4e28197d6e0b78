"""One WebSocket as a transport: an ordered outbound queue with a bound, idle heartbeats, and the ways to end it."""

import asyncio
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web

from . import errors
from .delta import DeltaStreams
from .errors import AblyError
from .protocol import Action, encode_frames
from .stats import Stats

log = logging.getLogger(__name__)

_CLOSE = object()
# How long a slow consumer has to read its DISCONNECTED before its TCP connection is cut.
SLOW_CONSUMER_GRACE = 5.0
# What a queued run of messages made later costs beside what it keeps alive (the generator and its state).
LATER_ALLOWANCE = 512


@dataclass
class Later:
    """Messages made only when the writer reaches them (SYNC pages, replays): what they describe is already in
    memory, so the queue counts them only for what they keep alive meanwhile (`send_later`'s weight)."""

    channel: str
    messages: Iterator[dict]


@dataclass(frozen=True)
class Limits:
    """The frame size the client was promised (maxFrameSize) and the most the queue may hold for it."""

    max_frame_size: int
    max_outbound_bytes: int


class WebSocketTransport:
    """Frames are queued synchronously (so fan-out order is channel order) and written by one task.

    What is queued and not yet written is bounded: a client that does not read what is sent to it (Ably calls it a
    slow consumer) is disconnected once its queue passes `max_outbound_bytes`, and nothing more is queued for it,
    so it costs the others neither memory nor delivery.
    """

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        fmt: str,
        stats: Stats,
        heartbeat_interval: float,
        limits: Limits,
    ):
        self.ws = ws
        self.request = request
        self.fmt = fmt
        self.stats = stats
        self.heartbeat_interval = heartbeat_interval
        self.limits = limits
        self.pending: deque[tuple[object, int]] = deque()
        self.pending_bytes = 0
        self.writing_bytes = 0
        self.deltas = DeltaStreams()
        self.closing = False
        self.dropped = False
        self._ready = asyncio.Event()
        self._cut: asyncio.TimerHandle | None = None
        loop = asyncio.get_running_loop()
        self.last_sent = loop.time()
        self.tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._heartbeat())]

    @property
    def queued_bytes(self) -> int:
        """Bytes queued or being written: what this client costs the emulator until it reads them."""
        return self.pending_bytes + self.writing_bytes

    def send(self, message: dict, frames: dict[str, list] | None = None) -> None:
        """Queue `message`; `frames` caches its encoding per format when the same message goes to many."""
        if self.closing:
            return
        if frames is None:
            encoded = encode_frames(message, self.fmt, self.limits.max_frame_size)
        elif self.fmt in frames:
            encoded = frames[self.fmt]
        else:
            encoded = frames[self.fmt] = encode_frames(message, self.fmt, self.limits.max_frame_size)
        if self.deltas.holds(message):  # its delta depends on what is written before it
            self._queue(message, sum(len(frame) for frame in encoded))
            return
        for frame in encoded:
            self._queue((frame, message.get("channel")), len(frame))

    def send_later(self, channel: str, messages: Iterator[dict], weight: int) -> None:
        """Queue messages to be made as the socket drains, in order with everything else."""
        if not self.closing:
            self._queue(Later(channel, messages), weight + LATER_ALLOWANCE)

    def _queue(self, item: object, size: int) -> None:
        self.pending.append((item, size))
        self.pending_bytes += size
        self._ready.set()
        if self.queued_bytes > self.limits.max_outbound_bytes:
            self._slow_consumer()

    def _slow_consumer(self) -> None:
        """Forget what is queued, tell the client why (DISCONNECTED, so it may resume) and cut it if it never reads."""
        limit = self.limits.max_outbound_bytes
        log.warning("connection on %s: slow consumer, %d bytes queued; disconnecting", self.peer, self.queued_bytes)
        self.pending.clear()
        self.pending_bytes = 0
        error = errors.SLOW_CONSUMER(
            "Rate limit exceeded; connection terminated (fatal); metric = connection.outboundBufferBytes; "
            f"the client did not read what was sent to it: more than {limit} bytes were waiting"
        )
        self.fail(Action.DISCONNECTED, error)
        self._cut = asyncio.get_running_loop().call_later(SLOW_CONSUMER_GRACE, self.drop)

    @property
    def peer(self) -> str:
        return str(self.request.remote)

    def fail(self, action: Action, error: AblyError) -> None:
        """Send a final DISCONNECTED or ERROR, then close once it has been written."""
        if self.closing:
            return
        self.closing = True
        for frame in encode_frames({"action": action, "error": error.to_dict()}, self.fmt, self.limits.max_frame_size):
            self.pending.append(((frame, None), len(frame)))
            self.pending_bytes += len(frame)
        self.pending.append((_CLOSE, 0))
        self._ready.set()

    def disconnect(self, error: AblyError) -> None:
        """Tell the client to reconnect (DISCONNECTED with `error`) and close; the connection stays resumable."""
        self.fail(Action.DISCONNECTED, error)

    def close(self) -> None:
        """Close after every frame already queued has been written."""
        if not self.closing:
            self.pending.append((_CLOSE, 0))
            self.closing = True
            self._ready.set()

    def drop(self) -> None:
        """Cut the TCP connection with no closing handshake, as a network failure would."""
        self.closing = self.dropped = True
        self.pending.clear()
        self.pending_bytes = 0
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def stop(self) -> None:
        if self._cut is not None:
            self._cut.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _write(self) -> None:
        try:
            while True:
                while not self.pending:
                    self._ready.clear()
                    await self._ready.wait()
                item, size = self.pending.popleft()
                self.pending_bytes -= size
                if item is _CLOSE:
                    await self.ws.close()
                    return
                self.writing_bytes = size
                if isinstance(item, Later):
                    for message in item.messages:
                        if self.dropped:
                            break
                        await self._send_made(message, item.channel)
                elif isinstance(item, dict):
                    await self._send_made(item, item.get("channel"))
                else:
                    await self._send(*item)  # type: ignore[misc]
                self.writing_bytes = 0
        except (ConnectionError, RuntimeError) as exc:
            log.info("transport write stopped: %s", exc)
            self.drop()
        except Exception:
            log.exception("transport write failed")
            self.drop()

    async def _send_made(self, message: dict, channel: str | None) -> None:
        """Write a message queued as made (not encoded yet), as this client's deltas make it."""
        for frame in encode_frames(self.deltas.rewrite(message), self.fmt, self.limits.max_frame_size):
            await self._send(frame, channel)

    async def _send(self, frame: str | bytes, channel: str | None) -> None:
        if isinstance(frame, str):
            await self.ws.send_str(frame)
        else:
            await self.ws.send_bytes(frame)
        self.stats.add(channel, "bytes_out", len(frame))
        self.last_sent = asyncio.get_running_loop().time()

    async def _heartbeat(self) -> None:
        """Send a HEARTBEAT whenever nothing else has been sent for a heartbeat interval (spec RTN23)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(self.heartbeat_interval - (loop.time() - self.last_sent), 0.01))
            if loop.time() - self.last_sent >= self.heartbeat_interval and not self.pending:
                self.send({"action": Action.HEARTBEAT})
                self.last_sent = loop.time()
