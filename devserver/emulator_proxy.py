"""The emulator on the dev host's own origin: ably-js's WebSocket and REST calls, passed to the emulator's port.

ably-js has no path prefix option: it opens its WebSocket at `/` and calls REST paths such as `/channels/...`
and `/time` at the origin it is given. Browsers never send an `X-Ably-Version` header when they navigate, and
ably-js sends it on every REST call, so that header (or a WebSocket upgrade at `/`) is what sends a request to
the emulator; every other request is the site's, exactly as on Azure. One origin means `connect-src 'self'`
suffices and one tunnel or firewall rule carries everything.
"""

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import WSMsgType, web
from yarl import URL

ABLY_VERSION_HEADER = "X-Ably-Version"
# Headers that describe one hop (RFC 9110 §7.6.1) or that the client library recomputes; never forwarded.
_HOP_BY_HOP = frozenset(
    name.lower()
    for name in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Host",
        "Content-Length",
    )
)
_WEBSOCKET_HANDSHAKE = ("sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions")
_log = logging.getLogger(__name__)


def is_for_emulator(request: web.BaseRequest) -> bool:
    """Return whether ably-js sent this request: a WebSocket upgrade at `/`, or a REST call (X-Ably-Version)."""
    if request.path.startswith("/api/"):
        return False
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    return (upgrade and request.path == "/") or ABLY_VERSION_HEADER in request.headers


class EmulatorProxy:
    """Pass requests (HTTP and WebSocket) to `upstream` and its answers back: ably-js's, to the emulator's port."""

    def __init__(self, upstream: str) -> None:
        self.upstream = URL(upstream)
        self._session: aiohttp.ClientSession | None = None
        self._websockets: set[web.WebSocketResponse] = set()

    async def start(self) -> None:
        # No total timeout: a WebSocket lives as long as the page; the emulator is on this machine.
        self._session = aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(connect=10))

    async def stop(self) -> None:
        """Close the browsers' WebSockets (1001, going away) and the connections to the emulator."""
        for websocket in list(self._websockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await websocket.close(code=1001)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def upstream_headers(self, request: web.BaseRequest, drop: tuple[str, ...] = ()) -> dict[str, str]:
        """The request's headers as they go upstream: end-to-end ones only (a subclass may add its own)."""
        return {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in drop
        }

    def _target(self, request: web.BaseRequest) -> URL:
        return URL(str(self.upstream).rstrip("/") + request.raw_path, encoded=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one of ably-js's requests with the emulator's answer."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        return await self._rest(request)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        try:
            async with self._session.request(
                request.method,
                self._target(request),
                headers=self.upstream_headers(request),
                data=body,
                allow_redirects=False,
            ) as upstream:
                payload = await upstream.read()
                headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
                return web.Response(status=upstream.status, body=payload, headers=headers)
        except aiohttp.ClientError as exc:
            _log.warning("emulator unreachable: %s", exc)
            return web.Response(status=502, text="The emulator is not answering.\n")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        try:
            upstream = await self._session.ws_connect(
                self._target(request),
                headers=self.upstream_headers(request, drop=_WEBSOCKET_HANDSHAKE),
                max_msg_size=0,
            )
        except aiohttp.ClientError as exc:
            _log.warning("emulator unreachable: %s", exc)
            return web.Response(status=502, text="The emulator is not answering.\n")
        downstream = web.WebSocketResponse(max_msg_size=0)
        self._websockets.add(downstream)
        try:
            await downstream.prepare(request)
            await _relay(downstream, upstream, request)
        finally:
            self._websockets.discard(downstream)
            await upstream.close()
        return downstream


async def _relay(
    downstream: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse, request: web.Request
) -> None:
    """Copy frames both ways until one side ends, then end the other the same way (a drop stays a drop)."""
    to_emulator = asyncio.create_task(_copy(downstream, upstream))
    to_browser = asyncio.create_task(_copy(upstream, downstream))
    done, pending = await asyncio.wait({to_emulator, to_browser}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        # A side that ended by failing (a frame sent as the other side closed) is an ordinary end of the relay.
        if (error := task.exception()) is not None:
            _log.debug("websocket relay ended: %r", error)
    if to_browser in done:
        code = upstream.close_code
        if code is None or code == 1006:  # the emulator cut the connection: cut the browser's too
            if request.transport is not None:
                request.transport.abort()
        else:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await downstream.close(code=code)
    else:
        await upstream.close(code=downstream.close_code or 1000)


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    async for message in source:
        if message.type == WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await sink.send_bytes(message.data)
