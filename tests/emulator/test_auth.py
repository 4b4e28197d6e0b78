"""Token auth as Ably does it: requestToken checks, tokens on the WebSocket and REST, basic auth, errors."""

import asyncio
import base64
import json

import pytest
from ably import AblyRealtime

from emulator import auth

from .conftest import FAKE_KEY, within

KEY_NAME, KEY_SECRET = FAKE_KEY.split(":")


async def post_token_request(raw, body, headers=None):
    session = await raw.http()
    async with session.post(
        f"{raw.emulator.url}/keys/{KEY_NAME}/requestToken", json=body, headers=headers or {}
    ) as response:
        return response.status, dict(response.headers), await response.json()


async def signed_request(raw, **params) -> dict:
    """A TokenRequest signed by ably-python itself, so the MAC check is proven against the SDK's."""
    request = await raw.clients.issuer.auth.create_token_request(params)
    return request.to_dict()


async def test_request_token_issues_token_details_for_a_signed_request(raw):
    body = await signed_request(
        raw, client_id="alice", ttl=60_000, capability=json.dumps({"p2p:*": ["publish", "subscribe"]})
    )
    status, _, details = await post_token_request(raw, body)
    assert status == 200
    assert details["keyName"] == KEY_NAME
    assert details["clientId"] == "alice"
    assert details["expires"] - details["issued"] == 60_000
    assert json.loads(details["capability"]) == {"p2p:*": ["publish", "subscribe"]}
    assert details["token"]


async def test_request_token_defaults_to_an_hour_and_the_keys_capability(raw):
    status, _, details = await post_token_request(raw, await signed_request(raw))
    assert status == 200
    assert details["expires"] - details["issued"] == 3_600_000
    assert json.loads(details["capability"]) == {"*": ["*"]}
    assert "clientId" not in details


@pytest.mark.parametrize(
    ("tamper", "code", "status", "message"),
    [
        (lambda body: body.update(mac=base64.b64encode(b"0" * 32).decode()), 40101, 401, "Invalid mac"),
        (lambda body: body.update(clientId="mallory"), 40101, 401, "Invalid mac"),
        (lambda body: body.pop("mac"), 40101, 401, "Token request has no mac"),
    ],
)
async def test_request_token_refuses_a_tampered_request(raw, tamper, code, status, message):
    body = await signed_request(raw, client_id="alice")
    tamper(body)
    got_status, headers, reply = await post_token_request(raw, body)
    assert (got_status, reply["error"]["code"], reply["error"]["statusCode"]) == (status, code, status)
    assert reply["error"]["message"].startswith(message)
    assert headers["X-Ably-Errorcode"] == str(code)


async def test_request_token_refuses_a_stale_timestamp_with_40104(raw):
    body = await signed_request(raw, timestamp=1_000_000_000_000)
    status, _, reply = await post_token_request(raw, body)
    assert (status, reply["error"]["code"]) == (401, 40104)


async def test_request_token_refuses_a_replayed_nonce_with_40105(raw):
    body = await signed_request(raw, client_id="alice")
    assert (await post_token_request(raw, body))[0] == 200
    status, _, reply = await post_token_request(raw, body)
    assert (status, reply["error"]["code"], reply["error"]["message"]) == (401, 40105, "Nonce value replayed")


@pytest.mark.emulator_config(nonce_window=0.3)
async def test_a_nonce_is_refused_again_within_the_nonce_window_and_forgotten_after_it(raw):
    body = await signed_request(raw, client_id="alice")
    assert (await post_token_request(raw, body))[0] == 200
    assert (await post_token_request(raw, body))[2]["error"]["code"] == 40105

    async def until_accepted():
        while (await post_token_request(raw, body))[0] != 200:  # noqa: ASYNC110 - nothing announces the window's end
            await asyncio.sleep(0.05)

    await within(until_accepted(), what="the nonce to be forgotten once the window has passed")


async def test_a_token_expired_for_over_an_hour_is_forgotten_at_the_next_token_request(raw, monkeypatch):
    """Expired tokens are swept a minute at a time as tokens are requested: 40142 until then, 40143 after."""
    token = (await raw.clients.token("alice", ttl_ms=60_000)).token
    basic = {"Authorization": f"Basic {base64.b64encode(FAKE_KEY.encode()).decode()}"}
    later = auth.now_ms() + 2 * 3_600_000
    monkeypatch.setattr(auth, "now_ms", lambda: later)

    _, first = await raw.connect({"access_token": token}, expect_connected=False)
    assert first["error"]["code"] == 40142, "expired, still remembered"
    assert (await post_token_request(raw, {"clientId": "bob"}, basic))[0] == 200
    _, again = await raw.connect({"access_token": token}, expect_connected=False)
    assert again["error"]["code"] == 40143, "forgotten: an hour past its expiry"


async def test_request_token_refuses_a_ttl_beyond_a_day_with_40003(raw):
    status, _, reply = await post_token_request(raw, await signed_request(raw, ttl=25 * 3600 * 1000))
    assert (status, reply["error"]["code"]) == (400, 40003)


async def test_request_token_refuses_an_unknown_key_with_40101(raw):
    session = await raw.http()
    async with session.post(f"{raw.emulator.url}/keys/nosuch.key/requestToken", json={"mac": "x"}) as response:
        reply = await response.json()
    assert (response.status, reply["error"]["code"]) == (401, 40101)
    assert "no such key" in reply["error"]["message"]


async def test_request_token_refuses_a_malformed_body_with_40001(raw):
    session = await raw.http()
    async with session.post(
        f"{raw.emulator.url}/keys/{KEY_NAME}/requestToken",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    ) as response:
        reply = await response.json()
    assert (response.status, reply["error"]["code"]) == (400, 40001)


async def test_request_token_refuses_an_invalid_capability_with_40000(raw):
    body = await signed_request(raw, capability=json.dumps({"room": ["fly"]}))
    status, _, reply = await post_token_request(raw, body)
    assert (status, reply["error"]["code"]) == (400, 40000)


async def test_request_token_refuses_a_wildcard_operation_mixed_with_others_with_40000(raw):
    body = await signed_request(raw, capability=json.dumps({"room": ["*", "publish"]}))
    status, _, reply = await post_token_request(raw, body)
    assert (status, reply["error"]["code"]) == (400, 40000)


@pytest.mark.emulator_config(key_capabilities={KEY_NAME: {"room": ["publish", "subscribe"]}})
async def test_request_token_narrows_a_requested_wildcard_operation_to_the_keys_operations(raw):
    body = await signed_request(raw, capability=json.dumps({"room": ["*"]}))
    status, _, details = await post_token_request(raw, body)
    assert status == 200
    assert json.loads(details["capability"]) == {"room": ["publish", "subscribe"]}


async def test_request_token_accepts_a_reused_nonce_with_another_timestamp(raw):
    now = await raw.clients.issuer.time()
    first = await signed_request(raw, nonce="1234567890123456", timestamp=now)
    again = await signed_request(raw, nonce="1234567890123456", timestamp=now + 1)
    assert (await post_token_request(raw, first))[0] == 200
    assert (await post_token_request(raw, again))[0] == 200
    status, _, reply = await post_token_request(raw, first)
    assert (status, reply["error"]["code"]) == (401, 40105)


async def test_a_string_that_is_not_a_token_fails_the_sdk_connection_with_40101(emulator):
    client = AblyRealtime(token="Sdnurv_some_invalid_token_nkds9r7", endpoint=f"127.0.0.1:{emulator.port}", tls=False)
    try:
        change = await within(client.connection.once_async("failed"), what="the connection to fail")
        assert (change.reason.code, change.reason.status_code) == (40101, 401)
    finally:
        await within(client.close(), what="close")


@pytest.mark.emulator_config(key_capabilities={KEY_NAME: {"p2p:*": ["*"]}})
async def test_request_token_keeps_capability_within_the_keys(raw):
    narrowed = await signed_request(raw, capability=json.dumps({"p2p:abc": ["publish"], "other": ["*"]}))
    status, _, details = await post_token_request(raw, narrowed)
    assert status == 200
    assert json.loads(details["capability"]) == {"p2p:abc": ["publish"]}

    outside = await signed_request(raw, capability=json.dumps({"*": ["*"]}))
    status, _, reply = await post_token_request(raw, outside)
    assert (status, reply["error"]["code"]) == (401, 40160)


async def test_request_token_accepts_unsigned_params_with_basic_auth(raw):
    basic = base64.b64encode(FAKE_KEY.encode()).decode()
    status, _, details = await post_token_request(
        raw, {"clientId": "server-side"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert status == 200
    assert details["clientId"] == "server-side"


async def test_websocket_accepts_access_token_and_reports_the_tokens_client_id(raw):
    token = (await raw.clients.token("alice")).token
    _, connected = await raw.connect({"access_token": token})
    details = connected["connectionDetails"]
    assert connected["connectionId"]
    assert details["clientId"] == "alice"
    assert details["connectionKey"].startswith(connected["connectionId"] + "!")
    assert (details["maxMessageSize"], details["connectionStateTtl"], details["maxIdleInterval"]) == (
        65536,
        120000,
        15000,
    )


async def test_websocket_accepts_basic_auth_with_any_client_id(raw):
    _, connected = await raw.connect({"key": FAKE_KEY, "clientId": "keyholder"})
    assert connected["connectionDetails"]["clientId"] == "keyholder"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"access_token": "not-a-token-we-issued"}, 40101),
        ({"access_token": f"{KEY_NAME.split('.')[0]}.{'A' * 32}"}, 40143),
        ({"key": f"{KEY_NAME}:wrong-secret"}, 40101),
        ({"key": "nosuch.key:secret"}, 40101),
        ({"access_token": ""}, 40100),
    ],
)
async def test_websocket_with_bad_credentials_gets_error_then_close(raw, query, code):
    socket, first = await raw.connect(query, expect_connected=False)
    assert first["action"] == 9
    assert first["error"]["code"] == code
    assert first["error"]["statusCode"] == 401
    assert await socket.receive() is None


async def test_websocket_with_an_expired_token_gets_40142(raw, emulator):
    token = (await raw.clients.token("alice")).token
    emulator.controls.expire_tokens()
    _, first = await raw.connect({"access_token": token}, expect_connected=False)
    assert (first["action"], first["error"]["code"]) == (9, 40142)


async def test_websocket_refuses_a_client_id_the_token_does_not_carry_with_40102(raw):
    token = (await raw.clients.token("alice")).token
    _, first = await raw.connect({"access_token": token, "clientId": "mallory"}, expect_connected=False)
    assert (first["action"], first["error"]["code"]) == (9, 40102)


async def test_rest_accepts_a_bearer_token_and_renews_it_when_expired(clients, emulator):
    rest = clients.rest("alice")
    await within(rest.channels.get("room").publish("one", "1"))
    emulator.controls.expire_tokens()
    await within(rest.channels.get("room").publish("two", "2"), what="a publish after the token expired")
    assert clients.tokens_issued["alice"] == 2
    history = await within(rest.channels.get("room").history())
    assert [m.name for m in history.items] == ["two", "one"]


async def test_rest_accepts_basic_auth(raw):
    session = await raw.http()
    basic = base64.b64encode(FAKE_KEY.encode()).decode()
    async with session.post(
        f"{raw.emulator.url}/channels/room/messages",
        json={"name": "n", "data": "d"},
        headers={"Authorization": f"Basic {basic}"},
    ) as response:
        assert response.status == 201
        assert len((await response.json())["serials"]) == 1


async def test_rest_without_credentials_is_refused_with_an_ably_error(raw):
    session = await raw.http()
    async with session.get(f"{raw.emulator.url}/channels/room/messages") as response:
        reply = await response.json()
    assert (response.status, reply["error"]["code"], response.headers["X-Ably-Errorcode"]) == (401, 40100, "40100")
