"""Odd requests never break the dev host: 400/404/405 with the config's headers, never 5xx, no slow-header or slow-body
hold, and no Host header it cannot make an origin of."""

import asyncio
import json
import random
from urllib.parse import unquote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from devserver.functions_host import MAX_BODY_BYTES, FunctionsHost, load_http_functions
from devserver.server import create_app
from devserver.static_site import StaticSite
from devserver.swa_config import load_swa_config
from tests.devserver import raw_http
from tests.devserver.conftest import FAKE_REAL_KEY, REPO, dev_server

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())
CSP = CONFIG["globalHeaders"]["Content-Security-Policy"]
FUZZ_REQUESTS = 5000
FUZZ_SEED = 12
HOST_FUZZ_REQUESTS = 3000
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "PURGE")
ODD_PATHS = (
    "/%00",
    "/a%00b.js",
    "/" + "a" * 300,
    "/" + "b" * 300 + ".js",
    "/a%2Fb",
    "/..%2F..%2Fetc%2Fpasswd",
    "/a%5Cb",
    "/%ff",
    "/%c3%28.js",
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


async def test_fuzzed_invite_links_however_mangled_get_the_page(client, site_dir):
    """Whatever follows /s/ (encoded separators and dots, bytes that are not UTF-8, long names), the page is served,
    and says the link is broken. Literal `.` and `..` segments are left out: browsers resolve them before sending,
    so `/s/../x` is not an invite link. A decoded newline is the one exception: the dev host's router answers 404."""
    rng = random.Random(FUZZ_SEED)
    paths = ["/s/" + random_path(rng).lstrip("/") for _ in range(500)]
    paths = [path for path in paths if not {".", ".."} & set(path.split("?")[0].split("/"))]
    index = (site_dir / "index.html").read_bytes()
    problems = []
    for path in paths:
        async with client.get(URL(path, encoded=True)) as response:
            body = await response.read()
            if "\n" in unquote(path.split("?")[0], errors="replace"):
                continue
            if response.status != 200 or response.headers.get("Content-Security-Policy") != CSP:
                problems.append(f"{path}: {response.status}")
            elif body != index:
                problems.append(f"{path}: not the page")
    assert not problems, f"seed {FUZZ_SEED}: {problems[:20]}"


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


# Methods aiohttp's HTTP parser takes besides the ones azure-functions names (it refuses unknown tokens itself).
OTHER_METHODS = (
    "TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH", "PURGE",
    "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "LINK", "UNLINK", "MKCALENDAR", "ACL", "BIND", "QUERY",
)  # fmt: skip


@pytest.mark.parametrize("path", ["/api/clientConfig", "/api/createTokenRequest?session=demo"])
async def test_every_method_but_get_and_head_gets_the_functions_json_405(client, path):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", *OTHER_METHODS):
        async with client.request(method, path) as response:
            assert response.status == 405, method
            assert response.headers["Allow"] == "GET, HEAD", method
            assert (await response.json())["error"]["code"] == "method_not_allowed", method


MALFORMED_HOSTS = ("a.example:99999", "a.example:65536", "a.example:0", ":abc", "a.example:-1", "u@a.example", "a b")


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
async def test_a_malformed_host_is_a_400_that_blames_the_request_not_a_setting(emulator_server, host):
    origin = URL(emulator_server.url)
    for headers in ([("Host", host)], [("X-Forwarded-Host", host)]):
        answer = await raw_http.send(origin.host, origin.port, "GET", "/api/clientConfig", headers)
        assert answer.status == 400, (headers, answer)
        assert b"Host" in answer.body
        assert b"ABLY_ENDPOINT_URL" not in answer.body


def random_host(rng: random.Random) -> str:
    """A Host or X-Forwarded-Host value: names, addresses, ports in and out of range, user info, junk, lists."""
    name = rng.choice(
        ["a.example", "localhost", "127.0.0.1", "[::1]", "[fe80::1%25eth0]", "[::1", "::1", "x" * 70, "a..b",
         ".a", "a.", "-a", "a_b", "é.example", "xn--e1afmkfd", "999.1.1.1", "", " ", "a b", "a/b", "a?b", "a#b",
         "a\\b", "a%2Fb", "a,b", "a;b", "u@a", "u:p@a", "*", "1" * 300]
    )  # fmt: skip
    port = rng.choice(["", ":", ":0", ":1", ":80", ":4280", ":65535", ":65536", ":99999", ":-1", ":abc", ":1.5",
                       ":" + "9" * 30, ":８０", ": 80"])  # fmt: skip
    value = name + port
    if rng.random() < 0.1:
        value += ", " + value
    if rng.random() < 0.05:
        value = "".join(rng.choice("abc:[]@%.-_ 09") for _ in range(rng.randint(0, 12)))
    return value


async def test_fuzzed_hosts_and_forwarded_headers_never_get_a_5xx_and_a_200_always_names_a_usable_origin(
    emulator_server,
):
    rng = random.Random(FUZZ_SEED)
    origin = URL(emulator_server.url)
    paths = ("/api/clientConfig", "/api/createTokenRequest?session=demo", "/", "/s/abc")
    requests = []
    for _ in range(HOST_FUZZ_REQUESTS):
        headers = [("Host", random_host(rng))] if rng.random() < 0.8 else []
        if rng.random() < 0.5:
            headers.append(("X-Forwarded-Host", random_host(rng)))
        if rng.random() < 0.5:
            headers.append(
                ("X-Forwarded-Proto", rng.choice(["http", "https", "HTTPS", "ws", "", "ftp", "http, https"]))
            )
        if rng.random() < 0.05:
            headers.append(("Host", random_host(rng)))  # a second Host header
        if rng.random() < 0.1:
            headers.append(("X-Ably-Version", "2"))  # for the emulator
        requests.append((rng.choice(paths), headers))
    problems: list[str] = []

    async def send(path: str, headers: list[tuple[str, str]]) -> None:
        try:
            answer = await raw_http.send(origin.host, origin.port, "GET", path, headers)
        except UnicodeEncodeError:
            return
        if answer.status >= 500:
            problems.append(f"{headers} {path}: {answer.status}")
        elif path == "/api/clientConfig" and answer.status == 200:
            config = json.loads(answer.body)
            port = config.get("tlsPort", config.get("port"))
            if not config["endpoint"] or "@" in config["endpoint"] or not 1 <= port <= 65535:
                problems.append(f"{headers}: {config}")

    for start in range(0, len(requests), 50):
        await asyncio.gather(*(send(path, headers) for path, headers in requests[start : start + 50]))
    assert not problems, f"seed {FUZZ_SEED}: {problems[:20]}"


@pytest.mark.parametrize(
    ("path", "headers", "json_code"),
    [
        ("/api/clientConfig", [], "body_timeout"),  # the functions' answer, in the API's error shape
        ("/channels/demo/messages", [("X-Ably-Version", "2")], None),  # on its way to the emulator
    ],
)
async def test_a_request_body_that_trickles_is_cut_off_with_a_408_and_the_connection_closed(
    site_dir, clean_settings, path, headers, json_code
):
    async with dev_server(site_dir, clean_settings, body_timeout=0.5) as server:
        origin = URL(server.url)
        reader, writer = await asyncio.open_connection(origin.host, origin.port)
        lines = [f"POST {path} HTTP/1.1", f"Host: {origin.authority}", "Content-Length: 100"]
        writer.write(("\r\n".join(lines + [f"{name}: {value}" for name, value in headers]) + "\r\n\r\n").encode())
        answered = asyncio.create_task(raw_http.read_answer(reader, "POST"))
        sent = 0
        while sent < 100 and not answered.done():
            writer.write(b"x")  # one byte every 0.1 s, up to 10 s
            sent += 1
            await asyncio.wait({answered}, timeout=0.1)
        answer = await asyncio.wait_for(answered, 10)
        closed = await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
    assert answer.status == 408
    assert sent < 100, "the whole body was waited for"
    assert closed
    if json_code:
        assert json.loads(answer.body)["error"]["code"] == json_code
