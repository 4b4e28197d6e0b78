"""Channel names as Ably checks them: an invalid name fails that channel with 40010, never the connection.

Ably's rules: not empty, not starting with `:` or `[`, no newline (ably-js test/realtime/channel.test.js
`channelattachinvalid`, `channelattach_publish_invalid`; presence.test.js `presenceEnterInvalid`).
"""

import pytest
from ably.util.exceptions import AblyException

from .conftest import within

INVALID_NAMES = ["", ":hell", "line\nbreak"]


@pytest.mark.parametrize("name", INVALID_NAMES, ids=["empty", "leading-colon", "newline"])
async def test_attach_to_an_invalid_name_is_a_channel_error_and_the_connection_carries_on(raw, name):
    socket, _ = await raw.connect()
    await socket.send({"action": 10, "channel": name})
    error = await socket.receive_action(9)
    assert (error["channel"], error["error"]["code"], error["error"]["statusCode"]) == (name, 40010, 400)
    await socket.send({"action": 10, "channel": "room"})
    assert (await socket.receive_action(11))["channel"] == "room"


@pytest.mark.parametrize("name", INVALID_NAMES, ids=["empty", "leading-colon", "newline"])
async def test_publishing_to_an_invalid_name_is_nacked_with_40010(raw, name):
    socket, _ = await raw.connect()
    await socket.send({"action": 15, "msgSerial": 0, "channel": name, "messages": [{"name": "x"}]})
    nack = await socket.receive_action(2)
    assert nack["error"]["code"] == 40010


async def test_the_sdk_sees_an_invalid_name_fail_the_attach_and_stays_connected(clients):
    client = await clients.realtime("alice")
    with pytest.raises(AblyException) as caught:
        await within(client.channels.get(":hell").attach(), what="the attach to fail")
    assert caught.value.code == 40010
    assert client.connection.state == "connected"
    await within(client.channels.get("room").attach(), what="another attach")


async def test_rest_refuses_an_invalid_name_with_40010(clients):
    rest = clients.rest("alice")
    with pytest.raises(AblyException) as caught:
        await within(rest.channels.get(":hell").publish("x", "y"))
    assert (caught.value.code, caught.value.status_code) == (40010, 400)


async def test_a_name_with_a_colon_inside_is_a_namespace_and_valid(raw):
    socket, _ = await raw.connect()
    await socket.send({"action": 10, "channel": "p2p:room"})
    assert (await socket.receive_action(11))["channel"] == "p2p:room"
