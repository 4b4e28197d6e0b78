"""Without a real key the dev host runs the emulator behind its own origin: one port for the site, /api and Ably."""

import asyncio
import json

import aiohttp
import pytest
from yarl import URL

from devserver.network import lan_addresses
from tests.devserver.conftest import REPO, dev_server, environ_snapshot

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())
ABLY_REST = {"X-Ably-Version": "5"}  # what ably-js sends on every REST call
CONNECTED = 4  # the protocol's CONNECTED action


async def test_emulator_mode_client_config_points_at_the_dev_hosts_own_origin(http, emulator_server):
    origin = URL(emulator_server.url)
    async with http.get(emulator_server.url + "/api/clientConfig") as response:
        assert response.status == 200
        assert await response.json() == {
            "endpoint": origin.host,
            "port": origin.port,
            "tls": False,
            "transports": ["web_socket"],
            "disableConnectivityCheck": True,
        }


async def test_emulator_mode_client_config_follows_a_local_tls_proxys_forwarded_host(http, emulator_server):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "play.example.test"}
    async with http.get(emulator_server.url + "/api/clientConfig", headers=forwarded) as response:
        config = await response.json()
    assert (config["endpoint"], config["tls"], config["tlsPort"]) == ("play.example.test", True, 443)


async def test_emulator_mode_refuses_a_malformed_forwarded_host_with_the_configs_headers(http, emulator_server):
    async with http.get(emulator_server.url + "/", headers={"X-Forwarded-Host": "a b/c"}) as response:
        assert response.status == 400
        assert response.headers["Content-Security-Policy"] == CONFIG["globalHeaders"]["Content-Security-Policy"]


async def test_emulator_mode_csp_is_the_configs_own_since_everything_is_on_one_origin(http, emulator_server):
    for path in ("/", "/s/abc"):
        async with http.get(emulator_server.url + path) as response:
            assert response.headers["Content-Security-Policy"] == CONFIG["globalHeaders"]["Content-Security-Policy"]


async def test_emulator_mode_websocket_at_the_root_reaches_the_emulator(http, emulator_server):
    key = emulator_server.emulator.key
    async with http.ws_connect(emulator_server.url + f"/?key={key}&format=json&v=5") as ws:
        message = await ws.receive_json(timeout=10)
    assert message["action"] == CONNECTED


async def test_emulator_mode_a_dropped_emulator_connection_drops_the_browsers_too(http, emulator_server):
    key = emulator_server.emulator.key
    async with http.ws_connect(emulator_server.url + f"/?key={key}&format=json&v=5") as ws:
        connection_id = (await ws.receive_json(timeout=10))["connectionId"]
        emulator_server.emulator.controls.drop_connection(connection_id)
        message = await ws.receive(timeout=10)
    assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_emulator_mode_token_request_is_accepted_by_the_emulator_on_the_same_origin(http, emulator_server):
    async with http.get(emulator_server.url + "/api/createTokenRequest?session=demo") as response:
        assert response.status == 200
        token_request = await response.json()
    request_token = f"{emulator_server.url}/keys/{token_request['keyName']}/requestToken"
    async with http.post(request_token, json=token_request, headers=ABLY_REST) as response:
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
    request_token = f"{emulator_server.url}/keys/{token_request['keyName']}/requestToken"
    async with http.post(request_token, json=token_request, headers=ABLY_REST) as response:
        assert response.status == 401


async def test_emulator_mode_a_browser_navigating_to_an_ably_path_gets_the_site(http, emulator_server):
    for path in ("/time", "/channels/demo/messages", "/_emulator/connections"):
        async with http.get(emulator_server.url + path) as response:
            assert (response.status, response.content_type) == (200, "text/html"), path


async def test_emulator_mode_overrides_an_endpoint_url_from_the_environment(
    http, site_dir, clean_settings, monkeypatch
):
    monkeypatch.setenv("ABLY_ENDPOINT_URL", "http://127.0.0.1:9")
    async with (
        dev_server(site_dir, clean_settings) as server,
        http.get(server.url + "/api/clientConfig") as response,
    ):
        assert (await response.json())["port"] == URL(server.url).port


async def test_emulator_mode_leaves_the_process_environment_alone_and_stop_stops_the_emulator(
    http, site_dir, clean_settings
):
    before = environ_snapshot()
    server = dev_server(site_dir, clean_settings)
    await server.start()
    emulator_url = server.emulator.url
    assert environ_snapshot() == before
    await server.stop()
    assert server.emulator is None
    assert environ_snapshot() == before
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(emulator_url + "/time"):
            pass


async def test_emulator_mode_stop_closes_the_pages_websockets_going_away_and_returns_promptly(
    http, site_dir, clean_settings
):
    server = dev_server(site_dir, clean_settings)
    await server.start()
    async with http.ws_connect(server.url + f"/?key={server.emulator.key}&format=json&v=5") as ws:
        await ws.receive_json(timeout=10)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.stop()
        assert loop.time() - started < 5
        message = await ws.receive(timeout=10)
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1001)


async def test_emulator_mode_ignores_forwarded_headers_from_a_peer_that_is_not_this_machines_loopback(
    http, site_dir, clean_settings
):
    addresses = lan_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    async with dev_server(site_dir, clean_settings, lan=True) as server:
        lan_url = server.lan_urls[0]
        async with http.get(lan_url + "/api/clientConfig", headers=forwarded) as response:
            config = await response.json()
    assert (config["endpoint"], config["tls"], config["port"]) == (addresses[0], False, URL(lan_url).port)
    assert "shareOrigin" not in config  # a page already on the LAN address shares its own origin
