"""`python -m p2p` against a hostile site: one escaped line on stderr and exit status 2 for every answer it cannot
use, and never a connection anywhere its link did not name (issue 18)."""

import time

import pytest

from p2p import site as site_module
from p2p.site import Site
from p2p.terminal import printable

from .conftest import eventually
from .hostile_site import (
    KIB,
    OTHER_HOST,
    VALID_TOKEN_REQUEST,
    AnswerFuzz,
    HostileSite,
    answer,
    endless,
    run_cli,
    silent,
)

ABLY_REFUSES = answer({"error": {"message": "Invalid mac", "code": 40101, "statusCode": 401}}, 401)
FUZZ_RUNS = 15


@pytest.fixture
def hostile():
    with HostileSite() as site:
        yield site


def refused_in_one_line(status: int, out: str, err: str) -> str:
    """The run ended with exit status 2 and one escaped line on stderr, nothing on stdout; that line."""
    assert (status, out) == (2, ""), err
    assert err.startswith("p2p: "), err
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    line = err[:-1]
    assert printable(line) == line, line
    assert "Traceback" not in err
    return line


def join(site: HostileSite) -> str:
    return refused_in_one_line(*run_cli("join", f"{site.url}/s/abc"))


def usable_details() -> dict[str, object]:
    now = int(time.time() * 1000)
    return {"token": "app.token", "issued": now, "expires": now + 3_600_000, "clientId": "peer-1", "capability": "{}"}


@pytest.mark.parametrize(
    ("respond", "sentence"),
    [
        (answer(b"<html>Welcome</html>"), "/api/clientConfig answered something that is not JSON"),
        (answer(b"[" * 5000 + b"]" * 5000), "/api/clientConfig answered JSON nested too deeply"),
        (answer(b'{"a":' * 10000), "/api/clientConfig answered JSON nested too deeply"),
        (answer(b" " * 64 * KIB + b"{}"), "/api/clientConfig answered more than 64 KiB: refused"),
        (endless, "/api/clientConfig answered more than 64 KiB: refused"),
        (
            answer(b"\x1f\x8b", headers={"Content-Encoding": "gzip"}),
            "/api/clientConfig answered 'gzip'-encoded, not plain",
        ),
        (answer([{"endpoint": "127.0.0.1"}]), "/api/clientConfig answered an array, not an object"),
        (answer({"endpoint": ["127.0.0.1"]}), "/api/clientConfig answered an array for endpoint, not a string"),
        (
            answer({"error": {"message": "\x1b[2J\nPlayers: x"}}, 500),
            "/api/clientConfig answered 500: \\x1b[2J\\nPlayers: x",
        ),
        (answer(b"Not Found", 404), "/api/clientConfig answered 404"),
        (
            answer({"shareOrigin": "\x1b[2J\nShare: http://evil.example"}),
            "/api/clientConfig answered shareOrigin '\\x1b[2J\\nShare: http://evil.example': not a site's address",
        ),
    ],
)
def test_a_client_config_the_peer_cannot_use_is_one_line_and_status_2(hostile, respond, sentence):
    hostile.answers["clientConfig"] = respond
    assert join(hostile).startswith(f"p2p: {hostile.url}{sentence}")


@pytest.mark.parametrize(
    ("respond", "sentence"),
    [
        (answer(b"null"), "/api/createTokenRequest answered null, not an object"),
        (answer(b"[" * 5000 + b"]" * 5000), "/api/createTokenRequest answered JSON nested too deeply"),
        (answer(b"{" * 70 * KIB), "/api/createTokenRequest answered more than 64 KiB: refused"),
        (answer({**VALID_TOKEN_REQUEST, "timestamp": "soon"}), "answered a string for timestamp, not a whole number"),
        (answer({**VALID_TOKEN_REQUEST, "keyName": None}), "/api/createTokenRequest answered no keyName"),
        (answer({**VALID_TOKEN_REQUEST, "clientId": "*"}), "answered the wildcard clientId, not one for this peer"),
        (answer({"error": {"message": "No session \u202eevil"}}, 400), "answered 400: No session \\u202eevil"),
    ],
)
def test_a_token_request_the_peer_cannot_use_is_one_line_and_status_2(hostile, respond, sentence):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["createTokenRequest"] = respond
    line = join(hostile)
    assert sentence in line, line
    assert "GET /" not in hostile.requests  # ably-python never tried to connect with it


@pytest.mark.parametrize(
    ("respond", "sentence"),
    [
        (ABLY_REFUSES, "p2p: Ably refused the site's token request (401: Invalid mac)"),
        (answer(b"\x1b]0;pwned\x07", 201), "answered something that is not JSON"),
        (answer({"token": "t", "expires": 1}, 201), "answered no issued"),
        (answer({"token": {"t": 1}, "issued": 1, "expires": 2}, 201), "answered an object for token, not a string"),
    ],
)
def test_a_token_ably_would_not_give_is_one_line_and_status_2(hostile, respond, sentence):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["createTokenRequest"] = answer(VALID_TOKEN_REQUEST)
    hostile.answers["requestToken"] = respond
    line = join(hostile)
    assert sentence in line, line
    assert f"POST /keys/{VALID_TOKEN_REQUEST['keyName']}/requestToken" in hostile.requests


def test_a_site_that_does_not_answer_in_time_is_one_line_and_status_2(hostile, monkeypatch):
    monkeypatch.setattr(site_module, "TIMEOUT_S", 0.5)
    hostile.answers["clientConfig"] = silent
    assert join(hostile) == f"p2p: {hostile.url}/api/clientConfig did not answer within 0.5 s"


def test_a_site_pointing_ably_at_another_host_is_refused_and_nothing_connects_there(hostile):
    hostile.answers["clientConfig"] = answer({"endpoint": OTHER_HOST, "tls": False, "port": hostile.other_port})
    hostile.answers["createTokenRequest"] = answer(VALID_TOKEN_REQUEST)
    hostile.answers["requestToken"] = answer(usable_details(), 201)
    line = join(hostile)
    assert line == (
        f"p2p: {hostile.url}/api/clientConfig points Ably at '127.0.0.2', not at 127.0.0.1: refused, "
        "the peer connects only to the host its link names"
    )
    assert hostile.requests == ["GET /api/clientConfig"]
    assert hostile.other_host_connections == 0


@pytest.mark.parametrize("endpoint", ["clientConfig", "createTokenRequest", "requestToken"])
def test_a_redirect_to_another_origin_is_not_followed(hostile, endpoint):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["createTokenRequest"] = answer(VALID_TOKEN_REQUEST)
    elsewhere = f"http://{OTHER_HOST}:{hostile.other_port}/{endpoint}"
    hostile.answers[endpoint] = answer({}, 307, {"Location": elsewhere})
    assert f"redirects to '{elsewhere}': not followed (the link names the site)" in join(hostile)
    assert hostile.other_host_connections == 0


async def test_ablys_websocket_is_not_redirected_to_another_host(hostile):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["createTokenRequest"] = answer(VALID_TOKEN_REQUEST)
    hostile.answers["requestToken"] = answer(usable_details(), 201)
    elsewhere = f"ws://{OTHER_HOST}:{hostile.other_port}/"
    hostile.answers[""] = answer({}, 302, {"Location": elsewhere})
    site = Site(hostile.url)
    try:
        realtime = await site.realtime_for("abc")
        try:
            await eventually(
                lambda: "GET /" in hostile.requests and realtime.connection.state.value != "connecting",
                "ably-python's WebSocket redirected, then given up",
            )
        finally:
            await realtime.close()
    finally:
        await site.close()
    assert hostile.other_host_connections == 0


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_client_configs_are_each_one_line_and_status_2(hostile, seed):
    usable = {"endpoint": "127.0.0.1", "tls": False, "port": hostile.port}
    fuzz = AnswerFuzz(seed, usable, [], f"http://{OTHER_HOST}:{hostile.other_port}")
    for _ in range(FUZZ_RUNS):
        hostile.answers["clientConfig"] = fuzz()
        join(hostile)
    assert hostile.other_host_connections == 0


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_token_requests_are_each_one_line_and_status_2(hostile, seed):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["requestToken"] = ABLY_REFUSES
    required = ["keyName", "clientId", "nonce", "mac", "timestamp"]
    fuzz = AnswerFuzz(seed, VALID_TOKEN_REQUEST, required, f"http://{OTHER_HOST}:{hostile.other_port}")
    for _ in range(FUZZ_RUNS):
        hostile.answers["createTokenRequest"] = fuzz()
        join(hostile)
    assert hostile.other_host_connections == 0


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_token_details_are_each_one_line_and_status_2(hostile, seed):
    hostile.answers["clientConfig"] = hostile.same_origin_config()
    hostile.answers["createTokenRequest"] = answer(VALID_TOKEN_REQUEST)
    fuzz = AnswerFuzz(
        seed, usable_details(), ["token", "issued", "expires"], f"http://{OTHER_HOST}:{hostile.other_port}"
    )
    for _ in range(FUZZ_RUNS):
        hostile.answers["requestToken"] = fuzz()
        join(hostile)
    assert "GET /" not in hostile.requests
    assert hostile.other_host_connections == 0
