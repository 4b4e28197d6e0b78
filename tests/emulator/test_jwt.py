"""Ably JWTs, as an app's server signs them (HS256 with the key's secret, `kid` = the key's name): accepted wherever
tokens are, granting their claims, refused with Ably's codes when forged, expired, malformed or for another app."""

import base64
import json
import time

import pytest
from ably import AblyRealtime, AblyRest
from ably.util.exceptions import AblyException

from tests.stand_ins.echo import ably_jwt

from .conftest import FAKE_KEY, within

KEY_NAME, KEY_SECRET = FAKE_KEY.split(":")


def make_jwt(
    capability=None, client_id=None, ttl_s=3600, kid=KEY_NAME, secret=KEY_SECRET, alg="HS256", embedded=None
) -> str:
    """A JWT as Ably's docs show an app's server making one (the echo stand-in's minting, no JWT library)."""
    header: dict = {"alg": alg}
    if embedded is not None:
        header["x-ably-token"] = embedded
    now = int(time.time())
    claims: dict = {"iat": now, "exp": now + ttl_s}
    if embedded is None:
        claims["x-ably-capability"] = json.dumps(capability or {"*": ["*"]})
    if client_id is not None:
        claims["x-ably-clientId"] = client_id
    return ably_jwt(kid, secret, claims, header)


def rest_with(emulator, token: str) -> AblyRest:
    return AblyRest(token=token, endpoint="127.0.0.1", port=emulator.port, tls=False)


async def refusal(raw, token: str) -> tuple[int, int]:
    """The (code, statusCode) of the error a REST request with `token` (as the SDKs send it) is answered with."""
    session = await raw.http()
    bearer = base64.b64encode(token.encode()).decode()
    url = f"{raw.emulator.url}/channels/jwt:refused/messages"
    async with session.get(url, headers={"Authorization": f"Bearer {bearer}"}) as response:
        error = (await response.json())["error"]
    assert error["statusCode"] == response.status
    return error["code"], response.status


async def test_a_rest_client_with_a_jwt_publishes_and_reads_history(emulator):
    client = rest_with(emulator, make_jwt({"jwt:*": ["publish", "history"]}))
    channel = client.channels.get("jwt:rest")
    try:
        await within(channel.publish("greeting", "hello"), what="the publish")
        page = await within(channel.history(), what="the history")
    finally:
        await client.close()
    assert [message.data for message in page.items] == ["hello"]


async def test_a_realtime_client_takes_its_client_id_and_capability_from_the_jwt(clients):
    async def callback(_params):
        return make_jwt({"jwt:*": ["subscribe"]}, client_id="alice")

    client = await clients.realtime(auth_callback=callback)
    assert client.connection.connection_manager.connection_details.client_id == "alice"
    channel = client.channels.get("jwt:watch")
    with pytest.raises(AblyException) as caught:
        await within(channel.publish("no", "entry"), what="the refused publish")
    assert (caught.value.code, caught.value.status_code) == (40160, 401)


async def test_reauthorising_with_a_new_jwt_keeps_the_connection(clients):
    issued = []

    async def callback(_params):
        issued.append(make_jwt({"jwt:*": ["subscribe"]}))
        return issued[-1]

    client = await clients.realtime(auth_callback=callback)
    connection_id = client.connection.connection_manager.connection_id
    await within(client.auth.authorize(), what="the reauthorisation")
    assert len(issued) == 2
    assert client.connection.state == "connected"
    assert client.connection.connection_manager.connection_id == connection_id


async def test_an_expired_jwt_on_a_connection_is_renewed_with_a_fresh_one(clients):
    ttls = iter([1, 3600])

    async def callback(_params):
        return make_jwt(ttl_s=next(ttls))

    client = await clients.realtime(auth_callback=callback)
    change = await within(client.connection.once_async("disconnected"), timeout=6, what="the expiry")
    assert change.reason.code == 40142
    await within(client.connection.once_async("connected"), what="the renewed connection")


async def test_a_jwt_embedding_an_ably_token_grants_what_the_token_grants(clients):
    inner = await clients.token(client_id="dora", capability={"jwt:*": ["subscribe", "presence"]})

    async def callback(_params):
        return make_jwt(embedded=inner.token)

    client = await clients.realtime(auth_callback=callback)
    assert client.connection.connection_manager.connection_details.client_id == "dora"
    with pytest.raises(AblyException) as caught:
        await within(client.channels.get("jwt:embedded").publish("no", "entry"), what="the refused publish")
    assert caught.value.code == 40160


async def test_forged_expired_malformed_and_foreign_jwts_are_refused_with_ablys_codes(raw):
    assert await refusal(raw, make_jwt(secret="not-the-secret")) == (40101, 401)
    assert await refusal(raw, make_jwt(ttl_s=-10)) == (40142, 401)
    assert await refusal(raw, make_jwt(alg="none")) == (40144, 401)
    assert await refusal(raw, make_jwt(kid="fakeapp.otherkey")) == (40101, 401)
    assert await refusal(raw, make_jwt(kid="invalid.invalid", secret="invalidinvalid")) == (40400, 404)


async def test_a_connection_with_a_forged_jwt_fails(emulator):
    client = AblyRealtime(token=make_jwt(secret="not-the-secret"), endpoint=f"127.0.0.1:{emulator.port}", tls=False)
    try:
        change = await within(client.connection.once_async("failed"), what="the refusal")
    finally:
        await client.close()
    assert change.reason.code == 40101
