"""The emulator on the dev host's own origin: ably-js's WebSocket and REST calls, passed to the emulator's port.

ably-js has no path prefix option: it opens its WebSocket at `/` and calls REST paths such as `/channels/...`
and `/time` at the origin it is given. Browsers never send an `X-Ably-Version` header when they navigate, and
ably-js sends it on every REST call, so that header (or a WebSocket upgrade at `/`) is what sends a request to
the emulator; every other request is the site's, exactly as on Azure. One origin means `connect-src 'self'`
suffices and one tunnel or firewall rule carries everything. This is the one routing rule: behind Vite (`make dev`)
the dev host gets every request that is not Vite's own (scripts/dev-host-proxy.mjs) and routes it the same way.

The emulator's test controls (`/_emulator/...`) are never passed on, however the path is spelled: they answer on
the emulator's loopback port only, since they show every clientId and session name and can drop or expire
anyone. A page's WebSocket may hold many connections at once, so the proxy has no connection limit of its own, and
a frame larger than the emulator's `maxFrameSize` ends the page's WebSocket (1009) as soon as its header says so,
before any of it is buffered.
"""

import asyncio
import contextlib
import logging
from typing import Literal
from urllib.parse import unquote

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from devserver.request_body import BODY_TIMEOUT_SECONDS, BodyTimeout, read_body
from emulator.config import EmulatorConfig
from emulator.controls import PREFIX as CONTROLS_PREFIX

ABLY_VERSION_HEADER = "X-Ably-Version"
# What the emulator advertises unless configured otherwise (Ably's maxFrameSize).
DEFAULT_MAX_FRAME_SIZE = EmulatorConfig().max_frame_size
# How long a closing WebSocket waits for the other side's close frame before its connection is cut.
CLOSE_TIMEOUT_SECONDS = 2.0
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
_CONTROLS_SEGMENT = CONTROLS_PREFIX.strip("/").lower()
# Rounds of percent-decoding before a path that keeps changing is taken for a disguised control path.
_MAX_DECODES = 4
_log = logging.getLogger(__name__)
# Both sides of a relay, with text frames left as bytes (decode_text=False).
_Page = web.WebSocketResponse[Literal[False]]
_Emulator = aiohttp.ClientWebSocketResponse[Literal[False]]


def is_for_emulator(request: web.BaseRequest) -> bool:
    """Return whether ably-js sent this request: a WebSocket upgrade at `/`, or a REST call (X-Ably-Version).

    Never a request for the emulator's test controls: those are the site's, like any path a browser opens.
    """
    if request.path.startswith("/api/") or names_controls(request.rel_url.raw_path):
        return False
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    return (upgrade and request.path == "/") or ABLY_VERSION_HEADER in request.headers


def names_controls(raw_path: str) -> bool:
    """Return whether a raw path could reach the emulator's test controls, however it is spelled.

    Read more loosely than any server reads a path: percent-decoded until nothing changes, `\\` taken for `/`,
    empty and `.` segments dropped, `..` applied, case ignored. A path still changing after a few decodings
    counts as a control path.
    """
    path = raw_path.split("?", 1)[0]
    for _ in range(_MAX_DECODES):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        return True
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    return bool(segments) and segments[0].lower() == _CONTROLS_SEGMENT


class EmulatorProxy:
    """Pass requests (HTTP and WebSocket) to `upstream` and its answers back: ably-js's, to the emulator's port.

    `max_frame_size` is the largest WebSocket message a client may send (the emulator's advertised
    `maxFrameSize`); `body_timeout` bounds how long a REST request's body may take to arrive.
    """

    def __init__(
        self, upstream: str, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE, body_timeout: float = BODY_TIMEOUT_SECONDS
    ) -> None:
        self.upstream = URL(upstream)
        self.max_frame_size = max_frame_size
        self.body_timeout = body_timeout
        self._session: aiohttp.ClientSession | None = None
        self._websockets: set[_Page] = set()

    async def start(self) -> None:
        # No connection limit: each page's WebSocket holds one connection to the emulator for as long as the page
        # lives, and aiohttp's default of 100 would make the 101st page (and every REST call) wait, then fail.
        # No total timeout either, for the same reason; the emulator is on this machine.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(connect=10),
        )

    async def stop(self) -> None:
        """Close the browsers' WebSockets (1001, going away) and the connections to the emulator."""

        async def going_away(websocket: _Page) -> None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await websocket.close(code=WSCloseCode.GOING_AWAY)

        await asyncio.gather(*(going_away(websocket) for websocket in list(self._websockets)))
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
        # The path as the request spelled it (so an encoded `/` in a channel name stays encoded), without the
        # scheme and host of an absolute-form request target.
        return URL(str(self.upstream).rstrip("/") + request.rel_url.raw_path_qs, encoded=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one of ably-js's requests with the emulator's answer."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        return await self._rest(request)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        try:
            body = await read_body(request, self.body_timeout)
        except BodyTimeout as exc:
            return web.Response(status=408, text=f"{exc}\n", headers={"Connection": "close"})
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
                max_msg_size=0,  # the emulator's frames are the emulator's business
                decode_text=False,
            )
        except aiohttp.ClientError as exc:
            _log.warning("emulator unreachable: %s", exc)
            return web.Response(status=502, text="The emulator is not answering.\n")
        # aiohttp refuses a message of max_msg_size bytes or more from its header, before reading the payload.
        # No compression, as the emulator itself: frames arrive whole-size, so the limit is the wire size.
        # Text stays bytes: relayed as it came, not decoded and encoded again (the emulator checks its UTF-8).
        downstream: _Page = web.WebSocketResponse(
            max_msg_size=self.max_frame_size + 1, compress=False, timeout=CLOSE_TIMEOUT_SECONDS, decode_text=False
        )
        self._websockets.add(downstream)
        try:
            await downstream.prepare(request)
            await _relay(downstream, upstream, request)
        finally:
            self._websockets.discard(downstream)
            await upstream.close()
        return downstream


async def _relay(downstream: _Page, upstream: _Emulator, request: web.Request) -> None:
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


async def _copy(source: _Page | _Emulator, sink: _Page | _Emulator) -> None:
    async for message in source:
        if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            await sink.send_frame(message.data, message.type)
