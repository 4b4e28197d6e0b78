"""Tokens that expire during a connection: DISCONNECTED 40142, renewal and resume; in-band AUTH (action 17)."""

import pytest
from ably.util.exceptions import AblyException

from .conftest import connection_id, eventually, within


def record_states(client) -> list[str]:
    states: list[str] = []
    client.connection.on(lambda change: states.append(change.current))
    return states


async def test_token_expiring_mid_connection_is_renewed_and_the_connection_resumes(clients, emulator):
    client = await clients.realtime("alice", first_ttl_ms=1500)
    first_id = connection_id(client)
    states = record_states(client)
    channel = client.channels.get("room")
    await within(channel.attach())

    await eventually(lambda: clients.tokens_issued["alice"] == 2, timeout=8, what="the SDK to fetch a second token")
    await eventually(lambda: states[-1:] == ["connected"] and "disconnected" in states, what="the reconnection")

    assert connection_id(client) == first_id
    result = await within(channel.publish("after", "renewal"), what="a publish with the renewed token")
    assert len(result.serials) == 1


async def test_expire_tokens_control_disconnects_with_40142_and_the_sdk_renews(clients, emulator):
    client = await clients.realtime("alice")
    first_id = connection_id(client)
    reasons = []
    client.connection.on("disconnected", lambda change: reasons.append(change.reason))
    states = record_states(client)

    assert emulator.controls.expire_tokens(client_id="alice") == 1

    await eventually(lambda: clients.tokens_issued["alice"] == 2, what="a renewed token")
    await eventually(lambda: states[-1:] == ["connected"], what="the reconnection")
    assert [reason.code for reason in reasons] == [40142]
    assert connection_id(client) == first_id


async def test_in_band_authorize_swaps_the_token_without_reconnecting(clients):
    capability = {"first": ["*"]}

    async def callback(_params):
        return await clients.token("alice", dict(capability))

    client = await clients.realtime(auth_callback=callback)
    first_id = connection_id(client)
    states = record_states(client)
    with pytest.raises(AblyException) as caught:
        await within(client.channels.get("second").publish("before", "x"), what="the NACK")
    assert caught.value.code == 40160

    capability["second"] = ["*"]
    await within(client.auth.authorize(), what="authorize()")

    assert "disconnected" not in states
    assert connection_id(client) == first_id
    result = await within(client.channels.get("second").publish("after", "y"), what="the now-permitted publish")
    assert len(result.serials) == 1


@pytest.mark.emulator_config(reauth_before_expiry=1.5)
async def test_server_requests_in_band_auth_before_the_token_expires(clients, emulator):
    client = await clients.realtime("alice", first_ttl_ms=2000)
    first_id = connection_id(client)
    states = record_states(client)

    await eventually(lambda: clients.tokens_issued["alice"] == 2, what="the SDK to answer the AUTH request")
    await eventually(
        lambda: (
            emulator.world.connections[first_id].credentials.token.expires
            > emulator.world.connections[first_id].credentials.token.issued + 2000
        ),
        what="the connection to carry the renewed token",
    )

    assert "disconnected" not in states
    assert connection_id(client) == first_id
    assert emulator.controls.connections()[0]["state"] == "connected"


async def test_in_band_auth_with_another_client_id_fails_the_connection_with_40102(raw):
    socket, _ = await raw.connect(client_id="alice")
    other = (await raw.clients.token("mallory")).token
    await socket.send({"action": 17, "auth": {"accessToken": other}})
    error = await socket.receive_action(9)
    assert error["error"]["code"] == 40102
    assert await socket.receive() is None


@pytest.mark.parametrize(("first", "second"), [("alice", "*"), (None, "alice"), ("alice", None)])
async def test_in_band_auth_may_not_change_the_connections_client_id(raw, first, second):
    socket, _ = await raw.connect(client_id=first)
    other = (await raw.clients.token(second)).token
    await socket.send({"action": 17, "auth": {"accessToken": other}})
    error = await socket.receive_action(9)
    assert error["error"]["code"] == 40102
    assert await socket.receive() is None


async def test_in_band_auth_with_a_wildcard_token_on_a_wildcard_connection_keeps_it(raw):
    socket, connected = await raw.connect({"clientId": "bob"}, client_id="*")
    await socket.send({"action": 17, "auth": {"accessToken": (await raw.clients.token("*")).token}})
    reply = await socket.receive_action(4)
    assert (reply["connectionId"], reply["connectionDetails"]["clientId"]) == (connected["connectionId"], "bob")


async def test_in_band_auth_with_a_forgotten_token_gets_a_token_error_and_stays_resumable(raw, emulator):
    socket, connected = await raw.connect(client_id="alice")
    await socket.send({"action": 17, "auth": {"accessToken": f"fakeapp.{'A' * 32}"}})
    error = await socket.receive_action(9)
    assert error["error"]["code"] == 40143
    assert await socket.receive() is None
    _, resumed = await raw.connect({"resume": connected["connectionDetails"]["connectionKey"]}, client_id="alice")
    assert resumed["connectionId"] == connected["connectionId"]
    assert "error" not in resumed
