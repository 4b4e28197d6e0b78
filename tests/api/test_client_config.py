"""GET /api/clientConfig: the Ably client options the site spreads into `new Ably.Realtime`."""

import json

import pytest

from api.functions import client_config
from tests.api.conftest import call


async def options() -> dict:
    response = await call(client_config)
    assert response.status_code == 200, response.get_body()
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_body())


async def test_client_config_is_empty_for_real_ably(app_settings):
    assert await options() == {}


async def test_client_config_needs_no_api_key(app_settings):
    app_settings(ABLY_ENDPOINT_URL="http://127.0.0.1:8081")
    assert (await options())["endpoint"] == "127.0.0.1"


async def test_client_config_points_ably_js_at_the_emulator(app_settings):
    app_settings(ABLY_ENDPOINT_URL="http://127.0.0.1:8081")
    assert await options() == {
        "endpoint": "127.0.0.1",
        "port": 8081,
        "tls": False,
        "transports": ["web_socket"],
        "disableConnectivityCheck": True,
    }


async def test_client_config_gives_a_tls_endpoint_its_port_as_tls_port(app_settings):
    app_settings(ABLY_ENDPOINT_URL="https://ably.example.com:8443")
    config = await options()
    assert (config["endpoint"], config["tls"], config["tlsPort"]) == ("ably.example.com", True, 8443)
    assert "port" not in config


async def test_client_config_with_malformed_endpoint_is_a_500_naming_the_setting(app_settings):
    app_settings(ABLY_ENDPOINT_URL="ws://127.0.0.1:8081")
    response = await call(client_config)
    assert response.status_code == 500
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "setting_invalid"
    assert "ABLY_ENDPOINT_URL" in error["message"]


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_client_config_answers_other_methods_with_405(app_settings, method):
    response = await call(client_config, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert json.loads(response.get_body())["error"]["code"] == "method_not_allowed"


async def test_client_config_same_origin_points_ably_js_where_the_page_came_from(app_settings):
    app_settings(ABLY_ENDPOINT_URL="same-origin")
    response = await call(client_config, url="http://192.168.1.20:4280/api/clientConfig")
    config = json.loads(response.get_body())
    assert (config["endpoint"], config["port"], config["tls"]) == ("192.168.1.20", 4280, False)


async def test_client_config_same_origin_over_https_is_tls_on_443(app_settings):
    app_settings(ABLY_ENDPOINT_URL="same-origin")
    response = await call(client_config, url="https://play.example.test/api/clientConfig")
    config = json.loads(response.get_body())
    assert (config["endpoint"], config["tls"], config["tlsPort"]) == ("play.example.test", True, 443)


@pytest.mark.parametrize(
    ("page", "shared"),
    [
        ("http://127.0.0.1:4280", "http://192.168.1.20:4280"),
        ("http://localhost:4280", "http://192.168.1.20:4280"),
        ("http://[::1]:4280", "http://192.168.1.20:4280"),
        ("http://192.168.1.20:4280", None),  # a page others can open already shares its own origin
        ("https://play.example.test", None),
    ],
)
async def test_client_config_names_the_share_origin_only_to_a_page_on_localhost(app_settings, page, shared):
    app_settings(ABLY_ENDPOINT_URL="same-origin", SHARE_ORIGIN="http://192.168.1.20:4280")
    response = await call(client_config, url=page + "/api/clientConfig")
    assert json.loads(response.get_body()).get("shareOrigin") == shared


async def test_client_config_with_a_malformed_share_origin_is_a_500_naming_the_setting(app_settings):
    app_settings(SHARE_ORIGIN="192.168.1.20:4280/path")
    response = await call(client_config, url="http://127.0.0.1:4280/api/clientConfig")
    assert response.status_code == 500
    assert "SHARE_ORIGIN" in json.loads(response.get_body())["error"]["message"]
