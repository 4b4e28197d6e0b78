"""With a real ABLY_API_KEY configured the dev host serves against real Ably: no emulator, an unchanged CSP."""

import json

import pytest

from devserver import DevServer
from devserver.local_settings import LocalSettingsError
from tests.devserver.conftest import FAKE_REAL_KEY, REPO, dev_server, environ_snapshot, write_local_settings

CONFIG = json.loads((REPO / "staticwebapp.config.json").read_text())


async def test_real_key_mode_starts_no_emulator_and_keeps_the_csp(http, real_key_server):
    assert real_key_server.emulator is None
    assert real_key_server.key_source == "environment"
    async with http.get(real_key_server.url + "/") as response:
        assert response.headers["Content-Security-Policy"] == CONFIG["globalHeaders"]["Content-Security-Policy"]


async def test_real_key_mode_client_config_is_empty(http, real_key_server):
    async with http.get(real_key_server.url + "/api/clientConfig") as response:
        assert (response.status, await response.json()) == (200, {})


async def test_real_key_mode_token_requests_are_signed_with_that_key(http, real_key_server):
    async with http.get(real_key_server.url + "/api/createTokenRequest?session=abc") as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        # SWA's globalHeaders do not apply to API responses.
        assert "Content-Security-Policy" not in response.headers
        body = await response.json()
    assert body["keyName"] == FAKE_REAL_KEY.split(":")[0]
    assert set(json.loads(body["capability"])) == {"p2p:abc", "p2p:abc:inbox:*", f"p2p:abc:inbox:{body['clientId']}"}


async def test_real_key_mode_passes_function_errors_through(http, real_key_server):
    async with http.post(real_key_server.url + "/api/createTokenRequest?session=abc") as response:
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"
    async with http.get(real_key_server.url + "/api/createTokenRequest?session=no%20spaces") as response:
        assert response.status == 400


async def test_real_key_mode_unknown_api_routes_are_404(http, real_key_server):
    async with http.get(real_key_server.url + "/api/x") as response:
        assert response.status == 404
        assert "Content-Security-Policy" not in response.headers


async def test_real_key_from_local_settings_json_starts_no_emulator(http, site_dir, clean_settings):
    write_local_settings(clean_settings, {"ABLY_API_KEY": FAKE_REAL_KEY, "ABLY_TOKEN_TTL_SECONDS": "120"})
    async with dev_server(site_dir, clean_settings) as server:
        assert server.emulator is None
        assert server.key_source == "local.settings.json"
        async with http.get(server.url + "/api/createTokenRequest?session=abc") as response:
            body = await response.json()
    assert (body["keyName"], body["ttl"]) == (FAKE_REAL_KEY.split(":")[0], 120_000)


async def test_environment_wins_over_local_settings_json(http, site_dir, clean_settings, monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", "envapp.envkey:fake-secret-from-env")
    write_local_settings(clean_settings, {"ABLY_API_KEY": FAKE_REAL_KEY})
    async with (
        dev_server(site_dir, clean_settings) as server,
        http.get(server.url + "/api/createTokenRequest?session=abc") as response,
    ):
        assert (await response.json())["keyName"] == "envapp.envkey"


async def test_local_settings_json_reaches_the_functions_but_not_the_process_environment(
    http, site_dir, clean_settings
):
    write_local_settings(clean_settings, {"ABLY_API_KEY": FAKE_REAL_KEY, "ABLY_TOKEN_TTL_SECONDS": "120"})
    before = environ_snapshot()
    async with dev_server(site_dir, clean_settings) as server:
        async with http.get(server.url + "/api/createTokenRequest?session=abc") as response:
            assert (await response.json())["ttl"] == 120_000
        assert environ_snapshot() == before
    assert environ_snapshot() == before


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ('{"Values": {}}', '"IsEncrypted": false'),
        ('{"IsEncrypted": true, "Values": {}}', '"IsEncrypted": false'),
        ("{not json", "not valid JSON"),
        ('{"IsEncrypted": false, "Values": []}', "Values must be an object"),
    ],
)
async def test_an_unusable_local_settings_json_stops_the_start_with_a_reason(
    site_dir, clean_settings, contents, message
):
    clean_settings.write_text(contents)
    before = environ_snapshot()
    server = DevServer(port=0, app_root=REPO, site_dir=site_dir, local_settings_path=clean_settings)
    with pytest.raises(LocalSettingsError, match=message):
        await server.start()
    assert server.url is None
    assert environ_snapshot() == before


async def test_force_emulator_ignores_a_configured_real_key(http, site_dir, clean_settings, monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    async with dev_server(site_dir, clean_settings, force_emulator=True) as server:
        assert server.emulator is not None
        async with http.get(server.url + "/api/createTokenRequest?session=abc") as response:
            body = await response.json()
        assert body["keyName"] != FAKE_REAL_KEY.split(":")[0]
        assert body["keyName"] == server.emulator.keys[0].split(":")[0]


async def test_an_unchanged_copy_of_the_example_settings_runs_on_the_emulator(site_dir, clean_settings):
    clean_settings.write_text((REPO / "local.settings.example.json").read_text())
    async with dev_server(site_dir, clean_settings) as server:
        assert server.emulator is not None
