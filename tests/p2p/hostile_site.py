"""A hostile site for the Python peer's tests, and a seeded fuzz of what it answers.

The site is a tiny aiohttp server on 127.0.0.1 with its own event loop on a thread, so the command line
(`p2p.cli.main`, which runs its own loop) can run in the test's thread. Next to it, on 127.0.0.2, "another host"
counts every connection it gets: the peer must never make one. Nothing here leaves the machine.
"""

import asyncio
import contextlib
import gzip
import io
import json
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from p2p.cli import main

T = TypeVar("T")
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
OTHER_HOST = "127.0.0.2"
KIB = 1024


def answer(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """An answer with this body (bytes as they are, anything else as JSON)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    async def respond(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=raw, status=status, headers={"Content-Type": "application/json", **(headers or {})})

    return respond


async def endless(request: web.Request) -> web.StreamResponse:
    """A body that never ends."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):
        while True:
            await response.write(b"[" * 16 * KIB)
    return response


async def silent(_request: web.Request) -> web.StreamResponse:
    """No answer at all."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


class HostileSite:
    """What `answers` says, per last path segment (`clientConfig`, `createTokenRequest`, `requestToken`, and ``
    for the WebSocket at /); 404 otherwise. `requests` lists what was asked, `other_host_connections` counts
    connections to OTHER_HOST:`other_port`."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[str] = []
        self.other_host_connections = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.other: asyncio.Server | None = None

    def __enter__(self) -> "HostileSite":
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def same_origin_config(self) -> Answer:
        """What the dev host answers: Ably on the site's own host and port."""
        return answer({"endpoint": "127.0.0.1", "tls": False, "port": self.port, "transports": ["web_socket"]})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._answer)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]
        self.other = await asyncio.start_server(self._count_other, OTHER_HOST, 0)
        self.other_port = self.other.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self.runner is not None
        assert self.other is not None
        self.other.close()
        await self.runner.cleanup()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        respond = self.answers.get(request.path.rsplit("/", 1)[-1])
        if respond is None:
            return web.Response(status=404, text="no such thing here")
        return await respond(request)

    async def _count_other(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.other_host_connections += 1
        writer.close()


def run_cli(*args: str) -> tuple[int, str, str]:
    """`python -m p2p ARGS` in this process: its exit status, stdout and stderr (an exception fails the test, but
    argparse's exit on a bad command line is a status)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
    return status, out.getvalue(), err.getvalue()


VALID_TOKEN_REQUEST = {
    "keyName": "app.key",
    "clientId": "peer-1",
    "nonce": "0123456789abcdef",
    "mac": "c2lnbmVk",
    "timestamp": 1_700_000_000_000,
    "ttl": 3_600_000,
    "capability": '{"p2p:abc":["publish","subscribe","presence"]}',
}
HOSTILE_TEXT = [
    "\x1b[2J\x1b[H",
    "\nPlayers: Mallory (host)\n",
    "\u202eevil",
    "\x00\x07\x9b",
    "\ud800",
    "é李👩‍👩‍👧",
    "x" * 300,
]
NOT_JSON = [b"", b"<html>hi</html>", b"{", b'{"a":1', b"\xff\xfe\x00", b"NaN-ish", b"\x1b[2J", b"[1,]", b"'{}'"]


class AnswerFuzz:
    """Seeded hostile answers for one of the site's endpoints, none of them usable by the peer.

    `usable` is the endpoint's valid answer; the fuzz breaks it (one of its fields of a wrong type, one of
    `required` missing, an error status, a redirect elsewhere) or sends something else (not JSON, too deep, too
    big, compressed). Every field of `usable` must be one a wrong type spoils (the site's clientConfig: its
    endpoint, tls and port), so no fuzzed clientConfig can mean "real Ably".
    """

    def __init__(self, seed: int, usable: dict[str, Any], required: list[str], other_url: str) -> None:
        self.random = random.Random(seed)
        self.usable = usable
        self.required = required
        self.other_url = other_url

    def json_value(self, depth: int = 0) -> Any:
        choice = self.random.randrange(9 if depth < 3 else 6)
        if choice == 0:
            return None
        if choice == 1:
            return self.random.choice([True, False])
        if choice == 2:
            return self.random.choice([0, -1, 2**63, 10**400, 65536, 1.5, -0.0])
        if choice in (3, 4, 5):
            return self.random.choice(HOSTILE_TEXT)
        if choice in (6, 7):
            return [self.json_value(depth + 1) for _ in range(self.random.randrange(4))]
        return {self.random.choice(HOSTILE_TEXT): self.json_value(depth + 1) for _ in range(self.random.randrange(4))}

    def broken(self) -> dict[str, Any]:
        """The usable answer with a required field missing or a field of a wrong type (null counts as missing)."""
        body = dict(self.usable)
        if self.required and self.random.random() < 0.3:
            del body[self.random.choice(self.required)]
            return body
        name = self.random.choice(list(body))
        wrong = self.json_value()
        while wrong is None or (type(wrong) is type(body[name]) and not isinstance(wrong, bool)):
            wrong = self.json_value()
        body[name] = wrong
        return body

    def __call__(self) -> Answer:
        kind = self.random.randrange(10)
        if kind == 0:
            return answer(self.random.choice(NOT_JSON))
        if kind == 1:
            depth = self.random.choice([1_000, 5_000, 20_000])
            return answer(b"[" * depth + b"]" * depth if self.random.random() < 0.5 else b'{"a":' * depth)
        if kind == 2:
            return endless if self.random.random() < 0.5 else answer(b" " * (65 * KIB) + b"{}")
        if kind == 3:
            return answer(gzip.compress(json.dumps(self.usable).encode()), headers={"Content-Encoding": "gzip"})
        if kind == 4:
            status = self.random.choice([301, 302, 303, 307, 308])
            path = self.random.choice(HOSTILE_TEXT).replace("\n", "")
            return answer(self.usable, status, {"Location": f"{self.other_url}/{path}"})
        if kind == 5:
            error = {"error": {"message": self.random.choice(HOSTILE_TEXT), "code": self.json_value()}}
            body = self.random.choice([error, self.json_value(), b"oops"])
            return answer(body, self.random.choice([400, 401, 403, 404, 418, 500, 502, 503]))
        if kind == 6:
            return answer(self.random.choice([[], [self.usable], "{}", 7, None, True]))
        return answer(self.broken())
