"""Test and benchmark controls: drop transports, expire tokens, read and reset counters (Python and HTTP)."""

import gc
import ipaddress
import os
import tracemalloc

from aiohttp import web

from . import errors
from .lifecycle import describe, discard, expire_connection
from .rest import error_reply
from .state import World

PREFIX = "/_emulator"
# Browsers label requests a page on another origin makes (Fetch Metadata); "same-site" includes other ports.
FOREIGN_FETCH_SITES = ("cross-site", "same-site")


def is_control(request: web.Request) -> bool:
    return request.path.startswith(f"{PREFIX}/")


@web.middleware
async def controls_guard(request: web.Request, handler):
    """Refuse (403, 40300) control requests that come from another machine, or from a web page on another origin.

    The controls show every clientId and channel and can drop or expire anyone, so they answer only a peer on the
    loopback interface, read from the socket itself (never from a header), wherever the emulator listens
    (`--host 0.0.0.0`). From there, requests without an Origin (tests, curl, Node) and same-origin ones are
    served: a page on another origin knows the port, not the page; control responses carry no CORS headers, so
    no other page can read them either.
    """
    if is_control(request):
        if not from_loopback(request):
            return error_reply(request, errors.FORBIDDEN(f"{PREFIX}/ answers only on the loopback interface"))
        origin = request.headers.get("Origin")
        foreign = origin is not None and origin != f"{request.scheme}://{request.host}"
        if foreign or request.headers.get("Sec-Fetch-Site") in FOREIGN_FETCH_SITES:
            return error_reply(request, errors.FORBIDDEN(f"{PREFIX}/ answers only same-origin requests"))
    return await handler(request)


def from_loopback(request: web.BaseRequest) -> bool:
    """Whether the TCP peer of `request` is on the loopback interface (127.0.0.0/8, ::1, or ::ffff:127.x)."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not isinstance(peer, tuple) or not peer:
        return False
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class Controls:
    """What tests and benchmarks may do to a running emulator. Also served under `/_emulator/` (no auth)."""

    def __init__(self, world: World):
        self.world = world

    def connections(self) -> list[dict]:
        """Every known connection, live or resumable: `connectionId`, `clientId`, `state`, `channels`."""
        return [describe(connection) for connection in self.world.connections.values()]

    def drop_connection(self, connection_id: str, forget: bool = False) -> None:
        """Cut one connection's transport as a network failure would; the client resumes.

        :param forget: also discard the connection's state, as if connectionStateTtl had passed, so the
            client's resume fails (80008) and it gets a new connection.
        :raises KeyError: when no live connection has that id.
        """
        connection = self.world.connections.get(connection_id)
        if connection is None or connection.transport is None:
            raise KeyError(connection_id)
        transport = connection.transport
        if forget:
            discard(self.world, connection)
        transport.drop()

    def drop_all(self, client_id: str | None = None) -> int:
        """Cut every live transport (or those of `client_id`); returns how many were cut."""
        live = [
            c.transport
            for c in self.world.connections.values()
            if c.transport is not None and (client_id is None or c.client_id == client_id)
        ]
        for transport in live:
            transport.drop()
        return len(live)

    def expire_tokens(self, client_id: str | None = None) -> int:
        """Expire tokens now; connections using them get DISCONNECTED 40142. Returns how many tokens expired."""
        expired = {token.token for token in self.world.authority.expire(client_id)}
        for connection in list(self.world.connections.values()):
            token = connection.credentials.token
            if token is not None and token.token in expired:
                expire_connection(connection)
        return len(expired)

    def stats(self) -> dict:
        """`{"total": {...}, "channels": {name: {...}}}` with the counters named in docs/architecture.md."""
        return self.world.stats.snapshot()

    def reset_stats(self) -> None:
        self.world.stats.reset()

    def memory(self) -> dict:
        """What the emulator holds, after a full garbage collection, for soak benchmarks.

        `traced_bytes` is the Python heap as tracemalloc counts it (null unless the process was started with
        `PYTHONTRACEMALLOC=1`), `rss_bytes` the resident set (null without /proc); plus the number of channels
        (with their retained messages), the bytes all history counts for against its caps, the connections still
        kept and the bytes queued for their clients and not yet read.
        """
        gc.collect()
        return {
            "traced_bytes": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
            "rss_bytes": _rss_bytes(),
            "channels": len(self.world.channels),
            "messages": sum(len(channel.log.entries) for channel in self.world.channels.values()),
            "history_bytes": self.world.retention.bytes,
            "connections": len(self.world.connections),
            "outbound_bytes": sum(
                connection.transport.queued_bytes
                for connection in self.world.connections.values()
                if connection.transport is not None
            ),
        }


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


class ControlRoutes:
    """The HTTP face of `Controls`, for Node tests, browsers and benchmarks."""

    def __init__(self, controls: Controls):
        self.controls = controls

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{PREFIX}/connections", self.connections),
            web.post(f"{PREFIX}/connections/drop", self.drop_all),
            web.post(f"{PREFIX}/connections/{{connection_id}}/drop", self.drop_connection),
            web.post(f"{PREFIX}/tokens/expire", self.expire_tokens),
            web.get(f"{PREFIX}/stats", self.stats),
            web.post(f"{PREFIX}/stats/reset", self.reset_stats),
            web.get(f"{PREFIX}/memory", self.memory),
        ]

    async def connections(self, request: web.Request) -> web.Response:
        return web.json_response(self.controls.connections())

    async def drop_connection(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        try:
            self.controls.drop_connection(connection_id, forget=request.query.get("forget") == "true")
        except KeyError:
            raise errors.NOT_FOUND(f"No live connection {connection_id!r}") from None
        return web.json_response({"dropped": 1})

    async def drop_all(self, request: web.Request) -> web.Response:
        return web.json_response({"dropped": self.controls.drop_all(request.query.get("clientId"))})

    async def expire_tokens(self, request: web.Request) -> web.Response:
        return web.json_response({"expired": self.controls.expire_tokens(request.query.get("clientId"))})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.controls.stats())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.controls.reset_stats()
        return web.json_response({"reset": True})

    async def memory(self, request: web.Request) -> web.Response:
        return web.json_response(self.controls.memory())
