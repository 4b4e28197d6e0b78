"""Channel modes as Ably grants and enforces them (ably-js test/realtime/channel.test.js `attachWithChannelParams*`).

The `modes` channel param wins over the mode flags and is echoed in ATTACHED's params; an attachment may only do
what its modes allow (40165 otherwise: ably-js `checkCantPublish`/`checkCantEnterPresence` accept it).
"""

import pytest
from ably.types.channeloptions import ChannelOptions
from ably.util.exceptions import AblyException

from .conftest import Inbox, within

PRESENCE, PUBLISH, SUBSCRIBE, PRESENCE_SUBSCRIBE, ANNOTATION_PUBLISH = (1 << n for n in (16, 17, 18, 19, 21))
ALL_MODES = 0x36F0000


async def attach(socket, channel: str, **fields) -> dict:
    await socket.send({"action": 10, "channel": channel, **fields})
    return await socket.receive_action(11)


async def test_the_modes_param_is_granted_and_echoed_with_the_other_known_params(raw):
    socket, _ = await raw.connect()
    params = {"modes": "subscribe", "delta": "vcdiff", "nonexistent": "foo"}
    attached = await attach(socket, "room", params=params)
    assert attached["flags"] & ALL_MODES == SUBSCRIBE
    assert attached["params"] == {"modes": "subscribe", "delta": "vcdiff"}


async def test_the_modes_param_wins_over_the_mode_flags(raw):
    socket, _ = await raw.connect()
    attached = await attach(socket, "room", flags=PUBLISH | PRESENCE_SUBSCRIBE, params={"modes": "presence,subscribe"})
    assert attached["flags"] & ALL_MODES == PRESENCE | SUBSCRIBE


async def test_mode_flags_are_granted_and_no_modes_means_ablys_default_set(raw):
    socket, _ = await raw.connect()
    assert (await attach(socket, "one", flags=PUBLISH | PRESENCE_SUBSCRIBE))["flags"] & ALL_MODES == (
        PUBLISH | PRESENCE_SUBSCRIBE
    )
    default = PRESENCE | PUBLISH | SUBSCRIBE | PRESENCE_SUBSCRIBE | ANNOTATION_PUBLISH
    assert (await attach(socket, "two"))["flags"] & ALL_MODES == default


async def test_an_unknown_mode_in_the_modes_param_fails_the_attach_at_once(raw):
    socket, _ = await raw.connect()
    await socket.send({"action": 10, "channel": "room", "params": {"modes": "susribe"}})
    error = await socket.receive_action(9)
    assert (error["channel"], error["error"]["code"]) == ("room", 40003)


async def test_publish_and_presence_need_the_modes_the_attachment_requested(raw):
    socket, _ = await raw.connect(client_id="alice")
    await attach(socket, "room", params={"modes": "subscribe"})
    await socket.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": [{"name": "x"}]})
    assert (await socket.receive_action(2))["error"]["code"] == 40165
    await socket.send({"action": 14, "msgSerial": 1, "channel": "room", "presence": [{"action": 2}]})
    assert (await socket.receive_action(2))["error"]["code"] == 40165
    await socket.send({"action": 15, "msgSerial": 2, "channel": "elsewhere", "messages": [{"name": "x"}]})
    assert (await socket.receive_action(1))["msgSerial"] == 2


async def test_a_subscribe_only_attachment_through_the_sdk_receives_messages_but_not_presence(clients):
    listener = await clients.realtime("listener")
    channel = listener.channels.get("room", ChannelOptions(params={"modes": "subscribe"}))
    messages, members = Inbox(), Inbox()
    await channel.subscribe(messages.add)
    await channel.presence.subscribe(members.add)
    await within(channel.attach())

    with pytest.raises(AblyException) as caught:
        await within(channel.publish("nope", "x"), what="the NACK")
    assert caught.value.code == 40165
    with pytest.raises(AblyException) as caught:
        await within(channel.presence.enter("hi"), what="the NACK")
    assert caught.value.code == 40165

    other = (await clients.realtime("other")).channels.get("room")
    await within(other.presence.enter("here"))
    await within(other.publish("hello", "x"))
    assert [m.name for m in await messages.wait_for_count(1)] == ["hello"]
    assert members.items == []


async def reauthorize(raw, socket, capability: dict) -> None:
    token = (await raw.clients.token("raw", capability)).token
    await socket.send({"action": 17, "auth": {"accessToken": token}})
    await socket.receive_action(4)


async def test_a_new_token_that_adds_publish_lets_an_attachment_that_requested_it_publish(raw):
    socket, _ = await raw.connect(capability={"room": ["subscribe"]})
    await attach(socket, "room")
    await socket.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": [{"name": "x"}]})
    assert (await socket.receive_action(2))["error"]["code"] == 40160
    await reauthorize(raw, socket, {"room": ["subscribe", "publish"]})
    await socket.send({"action": 15, "msgSerial": 1, "channel": "room", "messages": [{"name": "x"}]})
    assert (await socket.receive_action(1))["msgSerial"] == 1


async def test_a_new_token_without_the_channel_fails_the_attachment_with_40160(raw):
    socket, _ = await raw.connect(capability={"room": ["*"], "other": ["*"]})
    await attach(socket, "room")
    await attach(socket, "other")
    await reauthorize(raw, socket, {"other": ["*"]})
    error = await socket.receive_action(9)
    assert (error["channel"], error["error"]["code"]) == ("room", 40160)
    publisher, _ = await raw.connect(client_id="publisher")
    for channel in ("room", "other"):
        await publisher.send(
            {
                "action": 15,
                "msgSerial": 0 if channel == "room" else 1,
                "channel": channel,
                "messages": [{"name": channel}],
            }
        )
    delivered = await socket.receive_action(15)
    assert delivered["channel"] == "other"
