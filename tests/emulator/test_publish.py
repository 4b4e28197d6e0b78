"""Publishing over realtime: ACK with serials, fan-out in channel order, formats, echo, NACKs."""

import asyncio

import pytest
from ably.util.exceptions import AblyException

from .conftest import Clients, Inbox, within


async def subscribed(client, channel_name: str) -> Inbox:
    inbox = Inbox()
    channel = client.channels.get(channel_name)
    await within(channel.attach(), what=f"attach to {channel_name}")
    await channel.subscribe(inbox.add)
    return inbox


async def test_publish_is_acknowledged_with_the_serials_subscribers_see(clients):
    publisher = await clients.realtime("alice")
    subscriber = await clients.realtime("bob")
    inbox = await subscribed(subscriber, "room")

    result = await within(publisher.channels.get("room").publish("greeting", {"text": "hi"}), what="the ACK")

    [message] = await inbox.wait_for_count(1)
    assert result.serials == [message.serial]
    assert (message.name, message.data, message.client_id) == ("greeting", {"text": "hi"}, "alice")
    assert message.connection_id
    assert message.id.startswith(message.connection_id + ":")


async def test_fan_out_reaches_every_subscriber_in_publish_order_across_formats(clients, emulator):
    other_format = Clients(emulator, binary=not clients.binary)
    try:
        publisher = await clients.realtime("publisher")
        inboxes = [
            await subscribed(await factory.realtime(f"sub{i}"), "fanout")
            for i, factory in enumerate([clients, other_format, clients])
        ]
        channel = publisher.channels.get("fanout")
        await within(asyncio.gather(*(channel.publish("n", str(i)) for i in range(40))), what="40 ACKs")
        for inbox in inboxes:
            received = await inbox.wait_for_count(40)
            assert [m.data for m in received] == [str(i) for i in range(40)]
            assert len(inbox.items) == 40
    finally:
        await other_format.close()


async def test_binary_payloads_cross_between_json_and_msgpack_clients(clients, emulator):
    other_format = Clients(emulator, binary=not clients.binary)
    try:
        publisher = await clients.realtime("alice")
        inbox = await subscribed(await other_format.realtime("bob"), "bytes")
        payload = bytes(range(256))
        await within(publisher.channels.get("bytes").publish("blob", payload))
        [message] = await inbox.wait_for_count(1)
        assert message.data == payload
    finally:
        await other_format.close()


async def test_publish_with_echo_false_is_not_delivered_back_to_its_publisher(clients):
    quiet = await clients.realtime("quiet", transport_params={"echo": "false"})
    listener = await clients.realtime("listener")
    own_inbox = await subscribed(quiet, "echo")
    other_inbox = await subscribed(listener, "echo")

    await within(quiet.channels.get("echo").publish("mine", "1"))
    await within(listener.channels.get("echo").publish("theirs", "2"))

    received = await other_inbox.wait_for_count(2)
    assert [m.name for m in received] == ["mine", "theirs"]
    assert [m.name for m in await own_inbox.wait_for_count(1)] == ["theirs"]
    assert len(own_inbox.items) == 1


async def test_publish_without_publish_capability_is_nacked_with_40160(clients):
    reader = await clients.realtime("reader", capability={"room": ["subscribe"]})
    channel = reader.channels.get("room")
    await within(channel.attach())
    with pytest.raises(AblyException) as caught:
        await within(channel.publish("nope", "x"), what="the NACK")
    assert caught.value.code == 40160
    assert caught.value.status_code == 401


async def test_attach_without_any_capability_on_the_channel_fails_it_with_40160(clients):
    client = await clients.realtime("scoped", capability={"p2p:abc": ["*"]})
    with pytest.raises(AblyException) as caught:
        await within(client.channels.get("elsewhere").attach(), what="the attach failure")
    assert caught.value.code == 40160
    assert client.channels.get("elsewhere").state == "failed"
    await within(client.channels.get("p2p:abc").attach(), what="the permitted attach")


@pytest.mark.emulator_config(max_message_size=256)
async def test_publish_larger_than_max_message_size_is_nacked_with_40009(clients):
    client = await clients.realtime("big")
    channel = client.channels.get("room")
    with pytest.raises(AblyException) as caught:
        await within(channel.publish("big", "x" * 300), what="the NACK")
    assert caught.value.code == 40009
    result = await within(channel.publish("small", "x" * 100), what="the next ACK")
    assert len(result.serials) == 1


async def test_ping_is_answered_by_an_echoed_heartbeat(clients):
    client = await clients.realtime("pinger")
    round_trip = await within(client.connection.ping(), what="the ping reply")
    assert round_trip >= 0
