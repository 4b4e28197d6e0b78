"""Odd requests never break the dev host: 400/404 with the config's headers, never 5xx, and no slow-header hold."""

import asyncio
import json
import random

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from devserver.functions_host import MAX_BODY_BYTES, FunctionsHost, load_http_functions
from devserver.server import create_app
from devserver.static_site import StaticSite
from devserver.swa_config import load_swa_config
from tests.devserver.conftest import FAKE_REAL_KEY, REPO, dev_server

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())
CSP = CONFIG["globalHeaders"]["Content-Security-Policy"]
FUZZ_REQUESTS = 5000
FUZZ_SEED = 12
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "PURGE")
ODD_PATHS = (
    "/%00",
    "/a%00b.js",
    "/s/%00",
    "/" + "a" * 300,
    "/" + "b" * 300 + ".js",
    "/s/" + "c" * 300,
    "/a%2Fb",
    "/..%2F..%2Fetc%2Fpasswd",
    "/a%5Cb",
    "/%ff",
    "/%c3%28.js",
    "/s/%80abc",
    "/%2e%2e/secret",
    "/%0d%0aSet-Cookie:%20x=1",
    "/assets/%00",
)


@pytest.fixture
async def client(site_dir, monkeypatch):
    """The dev host's application in-process (real-key mode: no emulator), behind aiohttp's test client."""
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    monkeypatch.delenv("ABLY_ENDPOINT_URL", raising=False)
    app = create_app(
        StaticSite(site_dir, load_swa_config(REPO / "staticwebapp.config.json")),
        FunctionsHost(load_http_functions(REPO)),
    )
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.mark.parametrize("path", ODD_PATHS)
async def test_odd_paths_get_400_or_404_with_the_configs_headers(client, path):
    async with client.get(URL(path, encoded=True)) as response:
        assert response.status in (400, 404), path
        for name, value in CONFIG["globalHeaders"].items():
            assert response.headers.get(name) == value, (path, name)
        assert "Set-Cookie" not in response.headers


def random_path(rng: random.Random) -> str:
    """A raw (already encoded) path: plain words, percent-encoded bytes, dots, long names, unicode, /api/."""
    pieces = []
    for _ in range(rng.randint(0, 6)):
        kind = rng.random()
        if kind < 0.3:
            pieces.append(rng.choice(["s", "api", "assets", "index.html", "index.js", ".auth", "me", "x.css", ""]))
        elif kind < 0.55:
            pieces.append("".join(f"%{rng.randrange(256):02X}" for _ in range(rng.randint(1, 4))))
        elif kind < 0.7:
            pieces.append(rng.choice([".", "..", "%2e", "%2e%2e", "~", "-", "@", ":", "%20", "+", ";a=b"]))
        elif kind < 0.8:
            pieces.append("z" * rng.choice([1, 200, 255, 256, 400]))
        elif kind < 0.9:
            pieces.append("".join(f"%{b:02X}" for b in "é☃\U0001f600".encode()[: rng.randint(1, 9)]))
        else:
            pieces.append("".join(rng.choice("abcXYZ019_-!$&'()*,=") for _ in range(rng.randint(1, 12))))
    query = rng.choice(["", "?a=1", "?%00", "?session=demo", "?x=" + "q" * 100])
    return "/" + "/".join(pieces) + query


async def test_fuzzed_paths_and_methods_never_get_a_5xx_and_always_carry_the_csp_outside_api(client):
    rng = random.Random(FUZZ_SEED)
    requests = [(rng.choice(METHODS), random_path(rng)) for _ in range(FUZZ_REQUESTS)]
    problems: list[str] = []

    origin = str(client.make_url("")).rstrip("/")

    async def send(method: str, path: str) -> None:
        # An absolute URL, so that a path starting with // stays a path.
        async with client.session.request(method, URL(origin + path, encoded=True), allow_redirects=False) as response:
            await response.read()
            if response.status >= 500:
                problems.append(f"{method} {path}: {response.status}")
            # SWA applies globalHeaders to every response except the API's (the functions set their own).
            if not path.startswith("/api/") and response.headers.get("Content-Security-Policy") != CSP:
                problems.append(f"{method} {path}: no CSP")

    for start in range(0, FUZZ_REQUESTS, 50):
        await asyncio.gather(*(send(method, path) for method, path in requests[start : start + 50]))
    assert not problems, f"seed {FUZZ_SEED}: {problems[:20]}"


async def test_api_bodies_over_the_limit_get_a_json_413(client):
    too_big = b"x" * (MAX_BODY_BYTES + 1)
    async with client.post("/api/clientConfig", data=too_big) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "body_too_large"


async def test_api_chunked_bodies_over_the_limit_get_a_json_413(client):
    async def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    async with client.post("/api/clientConfig", data=chunks()) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "body_too_large"


async def test_a_client_slow_to_send_its_headers_is_disconnected(site_dir, clean_settings, monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    async with dev_server(site_dir, clean_settings, header_timeout=0.5) as server:
        url = URL(server.url)
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line that ends the headers
        await writer.drain()
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
        assert loop.time() - started < 5
        writer.close()
