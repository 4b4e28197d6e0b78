"""One WebSocket as a transport: an ordered outbound queue, idle heartbeats, and the ways to end it."""

import asyncio
import logging

from aiohttp import web

from .errors import AblyError
from .protocol import Action, encode
from .stats import Stats

log = logging.getLogger(__name__)

_CLOSE = object()


class WebSocketTransport:
    """Frames are queued synchronously (so fan-out order is channel order) and written by one task."""

    def __init__(
        self, ws: web.WebSocketResponse, request: web.Request, fmt: str, stats: Stats, heartbeat_interval: float
    ):
        self.ws = ws
        self.request = request
        self.fmt = fmt
        self.stats = stats
        self.heartbeat_interval = heartbeat_interval
        self.queue: asyncio.Queue = asyncio.Queue()
        self.closing = False
        self.dropped = False
        self.last_sent = asyncio.get_running_loop().time()
        self.tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._heartbeat())]

    def send(self, message: dict, frames: dict[str, str | bytes] | None = None) -> None:
        """Queue `message`; `frames` caches its encoding per format when the same message goes to many."""
        if self.closing:
            return
        if frames is None:
            frame = encode(message, self.fmt)
        elif self.fmt in frames:
            frame = frames[self.fmt]
        else:
            frame = frames[self.fmt] = encode(message, self.fmt)
        self.stats.add(message.get("channel"), "bytes_out", len(frame))
        self.queue.put_nowait(frame)

    def fail(self, action: Action, error: AblyError) -> None:
        """Send a final DISCONNECTED or ERROR, then close once it has been written."""
        self.send({"action": action, "error": error.to_dict()})
        self.close()

    def disconnect(self, error: AblyError) -> None:
        """Tell the client to reconnect (DISCONNECTED with `error`) and close; the connection stays resumable."""
        self.fail(Action.DISCONNECTED, error)

    def close(self) -> None:
        """Close after every frame already queued has been written."""
        if not self.closing:
            self.queue.put_nowait(_CLOSE)
            self.closing = True

    def drop(self) -> None:
        """Cut the TCP connection with no closing handshake, as a network failure would."""
        self.closing = self.dropped = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await self.queue.get()
                if frame is _CLOSE:
                    await self.ws.close()
                    return
                if isinstance(frame, str):
                    await self.ws.send_str(frame)
                else:
                    await self.ws.send_bytes(frame)
                self.last_sent = loop.time()
        except (ConnectionError, RuntimeError) as exc:
            log.info("transport write stopped: %s", exc)
            self.drop()

    async def _heartbeat(self) -> None:
        """Send a HEARTBEAT whenever nothing else has been sent for a heartbeat interval (spec RTN23)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(self.heartbeat_interval - (loop.time() - self.last_sent), 0.01))
            if loop.time() - self.last_sent >= self.heartbeat_interval and self.queue.empty():
                self.send({"action": Action.HEARTBEAT})
                self.last_sent = loop.time()
