"""An emulator per test (port 0) and helpers to talk to it: ably-python clients, raw WebSockets, plain HTTP.

Tests change the emulator's settings with `@pytest.mark.emulator_config(field=value, ...)`.
"""

import asyncio
import contextlib
import json
from contextlib import AsyncExitStack

import aiohttp
import msgpack
import pytest
from ably import AblyRealtime, AblyRest

from emulator import Emulator, EmulatorConfig

FAKE_KEY = "fakeapp.fakekey:fake-secret-for-emulator-tests"
WAIT = 5.0


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator_config(**fields): EmulatorConfig overrides for this test's emulator")


@pytest.fixture
async def emulator(request):
    marker = request.node.get_closest_marker("emulator_config")
    emu = Emulator(EmulatorConfig(keys=[FAKE_KEY], **(marker.kwargs if marker else {})))
    await emu.start("127.0.0.1", port=0)
    yield emu
    await emu.stop()


@pytest.fixture(params=[False, True], ids=["json", "msgpack"])
def binary(request) -> bool:
    """Run a test once over JSON and once over msgpack (ably-python's `use_binary_protocol`)."""
    return request.param


async def within(awaitable, timeout: float = WAIT, what: str = "the event"):
    """Await with a bound, failing with a message that says what never happened."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


async def eventually(predicate, timeout: float = WAIT, what: str = "the condition"):
    """Poll a cheap condition until it holds (for state the emulator exposes but announces to nobody)."""

    async def poll():
        while not predicate():  # noqa: ASYNC110 - nothing announces this state, so polling is the point
            await asyncio.sleep(0.01)

    await within(poll(), timeout, what)


class Inbox:
    """Collects what a subscription delivers, so a test can wait for a number of items."""

    def __init__(self):
        self.items: list = []
        self._changed = asyncio.Event()

    def add(self, item) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for_count(self, count: int, timeout: float = WAIT) -> list:
        async def wait():
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()

        await within(wait(), timeout, f"{count} items (got {len(self.items)})")
        return self.items[:count]


class Clients:
    """Builds ably-python clients for one emulator and closes them all at the end of the test.

    Realtime clients authenticate like the app does: an `auth_callback` returning TokenDetails obtained from
    the emulator's requestToken endpoint (ably-python signs the TokenRequest with the key locally).
    """

    def __init__(self, emulator: Emulator, binary: bool):
        self.emulator = emulator
        self.binary = binary
        self.issuer = AblyRest(
            key=FAKE_KEY, endpoint="127.0.0.1", port=emulator.port, tls=False, use_binary_protocol=binary
        )
        self.tokens_issued: dict[str | None, int] = {}
        self._open: list = [self.issuer]

    async def token(self, client_id: str | None = None, capability: dict | None = None, ttl_ms: int | None = None):
        params = {}
        if client_id is not None:
            params["client_id"] = client_id
        if capability is not None:
            params["capability"] = json.dumps(capability)
        if ttl_ms is not None:
            params["ttl"] = ttl_ms
        details = await within(self.issuer.auth.request_token(params), what="a token")
        self.tokens_issued[client_id] = self.tokens_issued.get(client_id, 0) + 1
        return details

    def auth_callback(self, client_id=None, capability=None, ttl_ms=None, first_ttl_ms=None):
        """An auth_callback issuing a fresh token per call (the first one may be short-lived)."""
        calls = {"n": 0}

        async def callback(_token_params):
            calls["n"] += 1
            ttl = first_ttl_ms if calls["n"] == 1 and first_ttl_ms is not None else ttl_ms
            return await self.token(client_id, capability, ttl)

        return callback

    def rest(self, client_id: str | None = None, capability: dict | None = None, **options) -> AblyRest:
        client = AblyRest(
            auth_callback=self.auth_callback(client_id, capability),
            endpoint="127.0.0.1",
            port=self.emulator.port,
            tls=False,
            use_binary_protocol=self.binary,
            **options,
        )
        self._open.append(client)
        return client

    async def realtime(
        self,
        client_id: str | None = None,
        capability: dict | None = None,
        ttl_ms=None,
        first_ttl_ms=None,
        connect: bool = True,
        auth_callback=None,
        sdk_client_id=None,
        **options,
    ) -> AblyRealtime:
        """A realtime client; connected (bounded wait) unless `connect=False`.

        `client_id` goes into the token; `sdk_client_id` is the SDK's own `client_id` option (ably-python needs
        `"*"` there to use a wildcard token's enterClient).
        """
        callback = auth_callback or self.auth_callback(client_id, capability, ttl_ms, first_ttl_ms)
        if sdk_client_id is not None:
            options["client_id"] = sdk_client_id
        client = AblyRealtime(
            auth_callback=callback,
            endpoint=f"127.0.0.1:{self.emulator.port}",
            tls=False,
            use_binary_protocol=self.binary,
            auto_connect=connect,
            **options,
        )
        self._open.append(client)
        if connect:
            await within(client.connection.once_async("connected"), what="the realtime client to connect")
        return client

    async def close(self) -> None:
        for client in reversed(self._open):
            # A client the test broke on purpose may fail to close; the server stops anyway.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), WAIT)


@pytest.fixture
async def clients(emulator, binary):
    helper = Clients(emulator, binary)
    yield helper
    await helper.close()


def connection_id(client: AblyRealtime) -> str:
    return client.connection.connection_manager.connection_id


class RawSocket:
    """A bare WebSocket to the emulator, for exact wire checks and input no SDK would send."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, fmt: str):
        self.ws = ws
        self.fmt = fmt
        self.frame_sizes: list[int] = []  # the size in bytes of every frame received, in order

    async def send(self, message: dict) -> None:
        if self.fmt == "msgpack":
            await self.ws.send_bytes(msgpack.packb(message, use_bin_type=True))
        else:
            await self.ws.send_str(json.dumps(message))

    async def receive(self, timeout: float = WAIT, heartbeats: bool = False) -> dict | None:
        """The next ProtocolMessage (heartbeats skipped unless asked for); None once the socket is closed."""
        while True:
            frame = await within(self.ws.receive(), timeout, "a frame from the emulator")
            if frame.type == aiohttp.WSMsgType.TEXT:
                message = json.loads(frame.data)
                self.frame_sizes.append(len(frame.data.encode()))
            elif frame.type == aiohttp.WSMsgType.BINARY:
                message = msgpack.unpackb(frame.data, raw=False)
                self.frame_sizes.append(len(frame.data))
            else:
                return None
            if heartbeats or message.get("action") != 0 or "id" in message:
                return message

    async def receive_action(self, action: int, timeout: float = WAIT) -> dict:
        """Skip frames until one with `action` arrives."""
        while True:
            message = await self.receive(timeout)
            assert message is not None, f"socket closed while waiting for action {action}"
            if message.get("action") == action:
                return message


class RawClients:
    """Opens raw WebSockets and HTTP requests against the emulator; closes them at the end of the test."""

    def __init__(self, emulator: Emulator, clients: Clients):
        self.emulator = emulator
        self.clients = clients
        self.stack = AsyncExitStack()
        self.session: aiohttp.ClientSession | None = None

    async def http(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = await self.stack.enter_async_context(aiohttp.ClientSession())
        return self.session

    async def connect(
        self,
        query: dict | None = None,
        client_id: str | None = "raw",
        capability=None,
        fmt: str = "json",
        expect_connected: bool = True,
    ) -> tuple[RawSocket, dict]:
        """Open `GET /?...`; with no `access_token`/`key` in `query` a token for `client_id` is added."""
        params = {"format": fmt, "v": "6", **(query or {})}
        if "access_token" not in params and "key" not in params and "accessToken" not in params:
            params["access_token"] = (await self.clients.token(client_id, capability)).token
        session = await self.http()
        ws = await within(session.ws_connect(f"{self.emulator.url}/", params=params, autoping=True), what="upgrade")
        self.stack.push_async_callback(ws.close)
        socket = RawSocket(ws, fmt)
        first = await socket.receive()
        if expect_connected:
            assert first is not None, "socket closed instead of CONNECTED"
            assert first["action"] == 4, f"expected CONNECTED, got {first}"
        return socket, first

    async def close(self) -> None:
        await self.stack.aclose()


@pytest.fixture
async def raw(emulator):
    helper = RawClients(emulator, Clients(emulator, binary=False))
    yield helper
    await helper.close()
    await helper.clients.close()
