"""The aiohttp application (one port for REST, WebSocket and controls) and the embeddable `Emulator`."""

import asyncio
import logging
import ssl

from aiohttp import web

from .batch import BatchApi
from .channel_status import ChannelStatusApi
from .config import EmulatorConfig
from .connection import handle_websocket
from .controls import ControlRoutes, Controls, controls_guard, is_control
from .lifecycle import discard
from .messages_api import MessagesApi
from .push import PushApi
from .rest import RestApi, ably_errors, add_cors_headers
from .sandbox import Sandbox
from .state import World
from .stats_api import StatsApi, count_requests
from .token_revocation import RevocationApi

log = logging.getLogger(__name__)

WORLD = web.AppKey("world", World)


def create_app(world: World, sandbox: Sandbox | None = None) -> web.Application:
    """Build the application: the route table of everything the emulator serves.

    With a sandbox, realtime and REST requests go to the world of the app whose key or token they carry.
    """
    world_for = sandbox.world_for if sandbox is not None else lambda request: world
    app = web.Application(middlewares=[controls_guard, count_requests(world_for), ably_errors])
    app[WORLD] = world

    async def root(request: web.Request) -> web.StreamResponse:
        """`GET /` is the realtime WebSocket; a plain GET answers like a connectivity check."""
        if web.WebSocketResponse().can_prepare(request).ok:
            return await handle_websocket(world_for(request), request)
        return web.Response(text="yes\n")

    async def internet_up(request: web.Request) -> web.StreamResponse:
        """Ably's connectivity check (internet-up.ably-realtime.com), which the SDKs ask before a fallback host."""
        return web.Response(text="yes\n")

    app.router.add_routes([web.get("/", root), web.get("/is-the-internet-up.txt", internet_up)])
    if sandbox is not None:
        app.router.add_routes(sandbox.routes())
    for api in (RestApi, MessagesApi, PushApi, StatsApi, ChannelStatusApi, BatchApi, RevocationApi):
        routes = api(world).routes()
        app.router.add_routes(routes if sandbox is None else [_routed(route, world_for, api) for route in routes])
    app.router.add_routes(ControlRoutes(Controls(world)).routes())

    async def cors(request: web.Request, response: web.StreamResponse) -> None:
        if not is_control(request):
            await add_cors_headers(request, response)

    app.on_response_prepare.append(cors)

    async def close_connections(app: web.Application) -> None:
        for each in sandbox.worlds() if sandbox is not None else [world]:
            _close_connections(each)

    app.on_shutdown.append(close_connections)
    return app


def _routed(route: web.RouteDef, world_for, api) -> web.RouteDef:
    """The same REST route, served by the `api` (RestApi, MessagesApi, ...) of the world the request belongs to."""
    name = route.handler.__name__

    async def handler(request: web.Request) -> web.StreamResponse:
        return await getattr(api(world_for(request)), name)(request)

    return web.route(route.method, route.path, handler)


def _close_connections(world: World) -> None:
    world.close()
    for connection in list(world.connections.values()):
        transport = connection.transport
        discard(world, connection)
        if transport is not None:
            transport.drop()


class Emulator:
    """An Ably-compatible server you start and stop from Python (tests, the dev host, benchmarks).

    ::

        emu = Emulator(EmulatorConfig(keys=["fakeapp.fakekey:fake-secret"]))
        await emu.start("127.0.0.1", port=0)
        ...  # emu.url, emu.keys, emu.controls
        await emu.stop()
    """

    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        self.world = World(self.config)
        self.sandbox = Sandbox(self.world) if self.config.sandbox else None
        self.controls = Controls(self.world)
        self.host: str | None = None
        self.port: int | None = None
        self.tls_port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def keys(self) -> list[str]:
        """The API keys in force (the local development key when none were configured)."""
        return self.config.effective_keys()

    @property
    def key(self) -> str:
        """The first key, for the common single-key case."""
        return self.keys[0]

    @property
    def url(self) -> str:
        if self.host is None or self.port is None:
            raise RuntimeError("the emulator is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def tls_url(self) -> str:
        """The TLS listener's URL (with `tls_cert`/`tls_key` configured)."""
        if self.host is None or self.tls_port is None:
            raise RuntimeError("the emulator has no TLS listener")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.tls_port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> "Emulator":
        """Listen on `host:port` (port 0 picks a free port) and return once connections are accepted.

        With `tls_cert` and `tls_key` configured, the same application is also served with TLS on `tls_port`.
        """
        app = create_app(self.world, self.sandbox)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
            plain_sockets = len(self._runner.addresses)
            if self.config.tls_cert:
                tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                tls.load_cert_chain(self.config.tls_cert, self.config.tls_key)
                await web.TCPSite(self._runner, host, self.config.tls_port, ssl_context=tls).start()
                self.tls_port = self._runner.addresses[plain_sockets][1]
        except BaseException:
            await self.stop()
            raise
        self.host = host
        self.port = self._runner.addresses[0][1]
        log.info("Ably emulator listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await asyncio.wait_for(runner.cleanup(), 10)
        self.port = None
        self.tls_port = None

    async def __aenter__(self) -> "Emulator":
        return await self.start() if self.port is None else self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()
