"""The sandbox (`POST /apps`, `DELETE /apps/{id}`) the official SDK suites provision their test apps with, and TLS."""

import base64
import json
import shutil
import ssl
import subprocess

import aiohttp
import pytest
from ably import AblyRealtime, AblyRest

from emulator import Emulator, EmulatorConfig

from .conftest import within

SPEC = {
    "limits": {"presence": {"maxMembers": 250}},
    "keys": [
        {},
        {"capability": '{"cansubscribe:*":["subscribe"], "canpublish:*":["publish"]}'},
        {"capability": '{"*":["subscribe"]}'},
    ],
    "namespaces": [{"id": "persisted", "persisted": True}, {"id": "mutable", "mutableMessages": True}],
    "channels": [
        {
            "name": "persisted:presence_fixtures",
            "presence": [
                {"clientId": "client_bool", "data": "true"},
                {"clientId": "client_decoded", "data": '{"example":{"json":"Object"}}', "encoding": "json"},
            ],
        }
    ],
}


@pytest.fixture
async def sandbox():
    emu = Emulator(EmulatorConfig(sandbox=True))
    await emu.start("127.0.0.1", port=0)
    async with aiohttp.ClientSession() as session:
        emu.http = session
        yield emu
    await emu.stop()


async def create_app(emu: Emulator, spec: dict = SPEC) -> dict:
    async with emu.http.post(f"{emu.url}/apps", json=spec) as response:
        assert response.status == 201
        return await response.json()


def basic(key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}


def rest(emu: Emulator, key: str) -> AblyRest:
    """ably-python refuses basic auth over plain HTTP, so it gets a token request signed with the key."""
    issuer = AblyRest(key=key, endpoint="127.0.0.1", port=emu.port, tls=False)

    async def callback(_params):
        return await issuer.auth.request_token()

    return AblyRest(auth_callback=callback, endpoint="127.0.0.1", port=emu.port, tls=False)


async def test_a_created_app_describes_its_keys_as_both_sdks_read_them(sandbox):
    app = await create_app(sandbox)
    assert len(app["keys"]) == 3
    for key in app["keys"]:
        assert key["keyName"] == f"{app['appId']}.{key['id']}"
        assert key["keyStr"] == f"{key['keyName']}:{key['keySecret']}"
        assert key["value"] == key["keySecret"]
    assert json.loads(app["keys"][0]["capability"]) == {"*": ["*"]}
    assert json.loads(app["keys"][2]["capability"]) == {"*": ["subscribe"]}
    assert [namespace["id"] for namespace in app["namespaces"]] == ["persisted", "mutable"]
    assert app["channels"][0]["name"] == "persisted:presence_fixtures"


async def test_a_key_of_an_app_carries_the_capability_its_spec_gave_it(sandbox):
    app = await create_app(sandbox)
    key = app["keys"][1]
    async with sandbox.http.post(
        f"{sandbox.url}/keys/{key['keyName']}/requestToken", json={}, headers=basic(key["keyStr"])
    ) as response:
        token = await response.json()
    assert json.loads(token["capability"]) == {"canpublish:*": ["publish"], "cansubscribe:*": ["subscribe"]}
    async with sandbox.http.post(
        f"{sandbox.url}/channels/elsewhere/messages", json={"name": "x"}, headers=basic(key["keyStr"])
    ) as response:
        assert (await response.json())["error"]["code"] == 40160


async def test_two_apps_channels_of_the_same_name_are_distinct(sandbox):
    first, second = await create_app(sandbox), await create_app(sandbox)
    first_key, second_key = first["keys"][0]["keyStr"], second["keys"][0]["keyStr"]
    async with sandbox.http.post(
        f"{sandbox.url}/channels/shared/messages", json={"name": "only-in-first"}, headers=basic(first_key)
    ) as response:
        assert response.status == 201
    async with sandbox.http.get(f"{sandbox.url}/channels/shared/messages", headers=basic(first_key)) as response:
        assert [message["name"] for message in await response.json()] == ["only-in-first"]
    async with sandbox.http.get(f"{sandbox.url}/channels/shared/messages", headers=basic(second_key)) as response:
        assert await response.json() == []


async def test_a_realtime_client_with_an_apps_key_lives_in_that_app(sandbox):
    app = await create_app(sandbox)
    key = app["keys"][0]["keyStr"]
    issuer = AblyRest(key=key, endpoint="127.0.0.1", port=sandbox.port, tls=False)

    async def callback(_params):
        return await issuer.auth.request_token()

    client = AblyRealtime(auth_callback=callback, endpoint=f"127.0.0.1:{sandbox.port}", tls=False)
    try:
        channel = client.channels.get("room")
        await within(channel.publish("hello", "from realtime"))
    finally:
        await client.close()
        await issuer.close()
    async with sandbox.http.get(f"{sandbox.url}/channels/room/messages", headers=basic(key)) as response:
        assert [message["data"] for message in await response.json()] == ["from realtime"]
    assert sandbox.world.channels.get("room") is None


async def test_presence_fixtures_are_present_members_of_their_channel(sandbox):
    app = await create_app(sandbox)
    client = rest(sandbox, app["keys"][0]["keyStr"])
    try:
        members = await within(client.channels.get("persisted:presence_fixtures").presence.get())
    finally:
        await client.close()
    by_client = {member.client_id: member.data for member in members.items}
    assert by_client == {"client_bool": "true", "client_decoded": {"example": {"json": "Object"}}}


async def test_deleting_an_app_needs_one_of_its_keys_and_then_its_keys_stop_working(sandbox):
    first, second = await create_app(sandbox), await create_app(sandbox)
    url = f"{sandbox.url}/apps/{first['appId']}"
    async with sandbox.http.delete(url) as response:
        assert response.status == 401
    async with sandbox.http.delete(url, headers=basic(second["keys"][0]["keyStr"])) as response:
        assert (await response.json())["error"]["code"] == 40101
    async with sandbox.http.delete(url, headers=basic(first["keys"][0]["keyStr"])) as response:
        assert response.status == 204
    async with sandbox.http.get(
        f"{sandbox.url}/channels/any/messages", headers=basic(first["keys"][0]["keyStr"])
    ) as response:
        assert (await response.json())["error"]["code"] == 40101
    async with sandbox.http.delete(url, headers=basic(first["keys"][0]["keyStr"])) as response:
        assert response.status == 404


async def test_without_the_sandbox_option_there_is_no_apps_endpoint():
    async with Emulator() as emu, aiohttp.ClientSession() as session, session.post(f"{emu.url}/apps", json={}) as r:
        assert r.status in (404, 405)


@pytest.fixture
def certificate(tmp_path):
    """A throwaway self-signed certificate for localhost and 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_the_tls_listener_serves_the_same_emulator_as_the_plain_one(certificate):
    cert, key = certificate
    trust = ssl.create_default_context(cafile=str(cert))
    config = EmulatorConfig(sandbox=True, tls_cert=str(cert), tls_key=str(key), tls_port=0)
    async with Emulator(config) as emu, aiohttp.ClientSession() as session:
        assert emu.tls_url == f"https://127.0.0.1:{emu.tls_port}"
        async with session.post(f"{emu.tls_url}/apps", json=SPEC, ssl=trust) as response:
            app = await response.json()
        key_str = app["keys"][0]["keyStr"]
        async with session.ws_connect(f"wss://127.0.0.1:{emu.tls_port}/?key={key_str}&v=3", ssl=trust) as ws:
            connected = await within(ws.receive_json())
        assert connected["action"] == 4
        async with session.get(f"{emu.url}/channels/x/messages", headers=basic(key_str)) as response:
            assert response.status == 200
