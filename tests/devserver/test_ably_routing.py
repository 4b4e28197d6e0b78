"""One routing rule for Ably traffic, the dev host's (devserver/emulator_proxy.py): Vite's dev server keeps only what is
its own (scripts/dev-host-proxy.mjs) and passes the rest to the dev host, so whatever the dev host gives its functions
or its emulator reaches it through Vite too, and what it refuses (the emulator's controls) Vite passes on to be refused.
tests/devserver/test_vite_dev.py shows the same through a running Vite."""

import json
import subprocess

import pytest
from aiohttp.test_utils import make_mocked_request

from devserver.emulator_proxy import is_for_emulator
from devserver.functions_host import ROUTE_PREFIX
from tests.devserver.conftest import REPO

ABLY = {"X-Ably-Version": "5"}  # ably-js sends it on every REST call
WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
HTML = {"Accept": "text/html,application/xhtml+xml"}

# (method, target, headers): what browsers, ably-js and Vite's client send, and where the dev host sends each.
TO_THE_FUNCTIONS = [
    ("GET", "/api/clientConfig", {}),
    ("GET", "/api/createTokenRequest?session=abc&peer=p", {}),
    ("POST", "/api/createTokenRequest?session=abc", {}),
]
TO_THE_EMULATOR = [
    ("GET", "/time", ABLY),
    ("POST", "/keys/app.key/requestToken", ABLY),
    ("GET", "/channels/p2p%3Aabc/messages?limit=1", ABLY),
    ("GET", "/channels/p2p%3Aabc/presence", ABLY),
    ("GET", "/?access_token=t&format=json&v=5", WEBSOCKET),
]
TO_THE_SITE = [  # refused there: the controls answer on the emulator's loopback port only
    ("GET", "/_emulator/connections", ABLY),
    ("POST", "/%5Femulator/connections/drop", ABLY),
    ("GET", "/_Emulator/stats", WEBSOCKET),
]
VITES_OWN = [  # the page's requests (the dev host's site would answer them) and Vite's hot reload
    ("GET", "/", HTML),
    ("GET", "/s/abc", HTML),
    ("GET", "/index.js", {}),
    ("GET", "/@vite/client", {}),
    ("GET", "/components/App.vue?t=1", {}),
    ("GET", "/favicon.svg", {}),
    ("GET", "/", {**WEBSOCKET, "Sec-WebSocket-Protocol": "vite-hmr"}),
    ("GET", "/", {**WEBSOCKET, "Sec-WebSocket-Protocol": "vite-ping"}),
]


def dev_host_sends_to(method: str, target: str, headers: dict) -> str:
    request = make_mocked_request(method, target, headers=headers)
    if request.path.startswith(ROUTE_PREFIX):
        return "functions"
    return "emulator" if is_for_emulator(request) else "site"


def vite_keeps(requests: list[tuple[str, str, dict]]) -> list[bool]:
    """scripts/dev-host-proxy.mjs's isVitesOwn for each request, as Node's IncomingMessage shows it to Vite's proxy."""
    as_node = [
        {"method": m, "url": target, "headers": {k.lower(): v for k, v in h.items()}} for m, target, h in requests
    ]
    script = (
        "import { isVitesOwn } from './scripts/dev-host-proxy.mjs';"
        "let input = ''; process.stdin.on('data', (chunk) => { input += chunk; });"
        "process.stdin.on('end', () => console.log(JSON.stringify(JSON.parse(input).map(isVitesOwn))));"
    )
    node = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(as_node),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )
    assert node.returncode == 0, node.stderr
    return json.loads(node.stdout)


@pytest.mark.parametrize(
    ("requests", "destination"),
    [(TO_THE_FUNCTIONS, "functions"), (TO_THE_EMULATOR, "emulator"), (TO_THE_SITE, "site")],
)
def test_the_dev_host_routes_api_to_its_functions_ably_to_its_emulator_and_refuses_the_controls(requests, destination):
    assert [dev_host_sends_to(*request) for request in requests] == [destination] * len(requests)


def test_vite_passes_everything_but_its_own_to_the_dev_host_which_routes_it():
    passed_on = TO_THE_FUNCTIONS + TO_THE_EMULATOR + TO_THE_SITE
    assert vite_keeps(passed_on + VITES_OWN) == [False] * len(passed_on) + [True] * len(VITES_OWN)


def test_the_pages_own_requests_would_be_the_dev_hosts_site_too():
    page = [request for request in VITES_OWN if "Upgrade" not in request[2]]
    assert [dev_host_sends_to(*request) for request in page] == ["site"] * len(page)
