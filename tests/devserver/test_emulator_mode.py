"""Without a real key the dev host starts the emulator, hands the functions its key, and lets the page reach it."""

import json

import aiohttp
import pytest
from yarl import URL

from tests.devserver.conftest import REPO, dev_server, environ_snapshot

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())


def emulator_origin(server) -> URL:
    return URL(server.emulator.url)


async def test_emulator_mode_client_config_points_at_the_emulator(http, emulator_server):
    origin = emulator_origin(emulator_server)
    async with http.get(emulator_server.url + "/api/clientConfig") as response:
        assert response.status == 200
        assert await response.json() == {
            "endpoint": origin.host,
            "port": origin.port,
            "tls": False,
            "transports": ["web_socket"],
            "disableConnectivityCheck": True,
        }


async def test_emulator_mode_csp_adds_only_the_emulators_origin_to_connect_src(http, emulator_server):
    origin = emulator_origin(emulator_server)
    expected = CONFIG["globalHeaders"]["Content-Security-Policy"].split("; ")
    connect_at = next(i for i, directive in enumerate(expected) if directive.startswith("connect-src"))
    expected[connect_at] += f" http://{origin.host}:{origin.port} ws://{origin.host}:{origin.port}"
    for path in ("/", "/s/abc"):
        async with http.get(emulator_server.url + path) as response:
            assert response.headers["Content-Security-Policy"].split("; ") == expected


async def test_emulator_mode_token_request_is_accepted_by_the_emulator(http, emulator_server):
    async with http.get(emulator_server.url + "/api/createTokenRequest?session=demo") as response:
        assert response.status == 200
        token_request = await response.json()
    request_token = f"{emulator_server.emulator.url}/keys/{token_request['keyName']}/requestToken"
    async with http.post(request_token, json=token_request) as response:
        assert response.status in (200, 201), await response.text()
        details = await response.json()
    assert details["token"]
    assert details["clientId"] == token_request["clientId"]
    assert json.loads(details["capability"]) == json.loads(token_request["capability"])
    assert details["expires"] - details["issued"] == token_request["ttl"]


async def test_emulator_mode_rejects_a_token_request_with_a_forged_mac(http, emulator_server):
    async with http.get(emulator_server.url + "/api/createTokenRequest?session=demo") as response:
        token_request = await response.json()
    token_request["capability"] = json.dumps({"*": ["*"]})
    request_token = f"{emulator_server.emulator.url}/keys/{token_request['keyName']}/requestToken"
    async with http.post(request_token, json=token_request) as response:
        assert response.status == 401


async def test_emulator_mode_overrides_an_endpoint_url_from_the_environment(
    http, site_dir, clean_settings, monkeypatch
):
    monkeypatch.setenv("ABLY_ENDPOINT_URL", "http://127.0.0.1:9")
    async with (
        dev_server(site_dir, clean_settings) as server,
        http.get(server.url + "/api/clientConfig") as response,
    ):
        assert (await response.json())["port"] == emulator_origin(server).port


async def test_emulator_mode_stop_stops_the_emulator_and_restores_the_environment(http, site_dir, clean_settings):
    before = environ_snapshot()
    server = dev_server(site_dir, clean_settings)
    await server.start()
    emulator_url = server.emulator.url
    assert environ_snapshot()["ABLY_ENDPOINT_URL"] == emulator_url
    await server.stop()
    assert server.emulator is None
    assert environ_snapshot() == before
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(emulator_url + "/time"):
            pass
