"""The site's front door, as Azure's edge is for a Static Web App: https on the site's name, every request (WebSocket
upgrades included) passed to the dev host over plain http, saying what the browser used with X-Forwarded-Proto and
X-Forwarded-Host (which the dev host believes from loopback only).

A drill can make `/api/...` misbehave the way a deployment does: an error status, a malformed answer, a cold start
(the answer comes late) or no answer at all. Runs on its own thread, so synchronous Playwright tests can use it.
"""

import asyncio
import collections
import ssl
import threading
from dataclasses import dataclass

from aiohttp import web

from devserver.emulator_proxy import EmulatorProxy
from tests.stand_ins.certificates import Certificate


@dataclass(frozen=True)
class Fault:
    """What the front door does with one request to an API route instead of passing it on at once: wait `delay`
    seconds, then answer `status` with `body`, or pass the request on when `status` is None (a cold start)."""

    delay: float = 0.0
    status: int | None = None
    body: str = ""
    content_type: str = "application/json"


# The API never answers (until the client gives up): a request that hangs.
NO_ANSWER = Fault(delay=3600.0, status=504)


class _Forwarding(EmulatorProxy):
    def upstream_headers(self, request: web.BaseRequest, drop: tuple[str, ...] = ()) -> dict[str, str]:
        return {
            **super().upstream_headers(request, drop),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": request.host,
        }


class FrontDoor:
    """An https reverse proxy for `upstream` (the dev host's http URL) with `certificate`, on a free loopback port."""

    def __init__(self, upstream: str, certificate: Certificate) -> None:
        self._proxy = _Forwarding(upstream)
        self._certificate = certificate
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(collections.deque)
        self._requests: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="front-door", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def fail(self, path: str, *faults: Fault) -> None:
        """The next requests to `path` (e.g. /api/createTokenRequest) meet these faults, one each, in order."""
        with self._lock:
            self._faults[path].extend(faults)

    def requests_to(self, path: str) -> int:
        """How many requests to `path` arrived so far (faulted or passed on)."""
        with self._lock:
            return self._requests[path]

    def __enter__(self) -> "FrontDoor":
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> int:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self._certificate.cert_file, self._certificate.key_file)
        await self._proxy.start()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)  # pages may still hold WebSockets
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls).start()
        return self._runner.addresses[0][1]

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self._proxy.stop()
        # A request still held by a fault (NO_ANSWER) is not the runner's to end: end it here.
        held = asyncio.all_tasks() - {asyncio.current_task()}
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self._requests[request.path] += 1
            queued = self._faults.get(request.path)
            fault = queued.popleft() if queued else None
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status is not None:
                return web.Response(status=fault.status, text=fault.body, content_type=fault.content_type)
        return await self._proxy.handle(request)
