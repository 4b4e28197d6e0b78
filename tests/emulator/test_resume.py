"""Dropped transports: resume with the same connectionId and nothing lost or duplicated; failed resume (80008)."""

import asyncio

import pytest

from .conftest import Inbox, connection_id, eventually, within

STREAM = 200
# A stream of 200 publishes as fast as they are ACKed, so that some are in flight at the drop: the drop is under
# test, not the publish rate (tests/emulator/test_rate_limits.py), so these streams are not held to it.
UNLIMITED_PUBLISHES = pytest.mark.emulator_config(max_connection_publish_rate=0, max_channel_publish_rate=0)


def record_states(client) -> list[str]:
    states: list[str] = []
    client.connection.on(lambda change: states.append(change.current))
    return states


async def subscribe(client, name: str) -> Inbox:
    inbox = Inbox()
    channel = client.channels.get(name)
    await within(channel.attach())
    await channel.subscribe(inbox.add)
    return inbox


@UNLIMITED_PUBLISHES
async def test_subscriber_dropped_mid_stream_resumes_with_nothing_lost_or_duplicated(clients, emulator):
    publisher = await clients.realtime("publisher")
    subscriber = await clients.realtime("subscriber")
    subscriber_id = connection_id(subscriber)
    states = record_states(subscriber)
    inbox = await subscribe(subscriber, "stream")
    channel = publisher.channels.get("stream")

    async def publish_all():
        for start in range(0, STREAM, 10):
            await asyncio.gather(*(channel.publish("n", str(i)) for i in range(start, start + 10)))

    publishing = asyncio.create_task(publish_all())
    await inbox.wait_for_count(50)
    emulator.controls.drop_connection(subscriber_id)
    await within(publishing, what="every publish to be ACKed")

    received = await inbox.wait_for_count(STREAM, timeout=10)
    assert [m.data for m in received] == [str(i) for i in range(STREAM)]
    assert len(inbox.items) == STREAM
    assert "disconnected" in states
    assert states[-1] == "connected"
    assert connection_id(subscriber) == subscriber_id


@UNLIMITED_PUBLISHES
async def test_publisher_dropped_mid_stream_publishes_each_message_exactly_once(clients, emulator):
    publisher = await clients.realtime("publisher")
    subscriber = await clients.realtime("subscriber")
    inbox = await subscribe(subscriber, "stream")
    channel = publisher.channels.get("stream")
    publisher_id = connection_id(publisher)

    first = [asyncio.ensure_future(channel.publish("n", str(i))) for i in range(STREAM // 2)]
    await inbox.wait_for_count(10)
    emulator.controls.drop_connection(publisher_id)
    rest = [asyncio.ensure_future(channel.publish("n", str(i))) for i in range(STREAM // 2, STREAM)]
    results = await within(asyncio.gather(*first, *rest), timeout=10, what="every publish to be ACKed")

    received = await inbox.wait_for_count(STREAM, timeout=10)
    assert sorted(int(m.data) for m in received) == list(range(STREAM))
    assert [m.data for m in received] == [str(i) for i in range(STREAM)]
    assert len({serial for result in results for serial in result.serials}) == STREAM
    assert emulator.controls.stats()["channels"]["stream"]["messages_published"] == STREAM
    assert connection_id(publisher) == publisher_id


async def test_resume_transcript_on_the_wire(raw, emulator):
    """The resume exchange as ably-js 2.28 speaks it: the same connectionId, a fresh key, a RESUMED attach, and the
    missed messages replayed."""
    reader, connected = await raw.connect(client_id="reader")
    reader_id, first_key = connected["connectionId"], connected["connectionDetails"]["connectionKey"]
    writer, _ = await raw.connect(client_id="writer")
    await reader.send({"action": 10, "channel": "room"})
    attached = await reader.receive_action(11)
    assert attached["channelSerial"] == "0000000000000000"
    await writer.send({"action": 15, "channel": "room", "msgSerial": 0, "messages": [{"name": "seen", "data": "1"}]})
    seen = await reader.receive_action(15)
    await reader.send({"action": 15, "channel": "elsewhere", "msgSerial": 0, "messages": [{"name": "mine"}]})
    ack = await reader.receive_action(1)

    emulator.controls.drop_connection(reader_id)
    for serial, name in enumerate(["missed1", "missed2"], start=1):
        await writer.send({"action": 15, "channel": "room", "msgSerial": serial, "messages": [{"name": name}]})
        await writer.receive_action(1)

    resumed, reconnected = await raw.connect({"resume": first_key}, client_id="reader")
    assert reconnected["connectionId"] == reader_id
    assert "error" not in reconnected
    assert reconnected["connectionDetails"]["connectionKey"] not in (first_key, None)

    await resumed.send({"action": 15, "channel": "elsewhere", "msgSerial": 0, "messages": [{"name": "mine"}]})
    assert await resumed.receive_action(1) == ack, "a re-sent msgSerial gets the same ACK"
    await resumed.send(
        {"action": 10, "channel": "room", "channelSerial": seen["channelSerial"], "params": {"rewind": "10"}}
    )
    reattached = await resumed.receive_action(11)
    assert reattached["flags"] & 4, "RESUMED"
    assert reattached["channelSerial"] == seen["channelSerial"]
    replayed = [await resumed.receive_action(15) for _ in range(2)]
    assert [m["messages"][0]["name"] for m in replayed] == ["missed1", "missed2"]
    assert emulator.controls.stats()["channels"]["elsewhere"]["messages_published"] == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("0123456789!0123deadbeef", 80008),
        ("garbage", 80018),
        # ably-js realtime/connection.test.js `unrecoverableConnection` expects 80018 for this one.
        ("_____!ablyjs_test_fake-key____", 80018),
    ],
)
async def test_resume_with_an_unknown_key_gives_a_new_connection_and_an_error(raw, key, code):
    _, connected = await raw.connect({"resume": key})
    assert connected["connectionId"] != key.split("!")[0]
    assert connected["error"]["code"] == code
    assert connected["error"]["statusCode"] == 400


@pytest.mark.emulator_config(connection_state_ttl=0.3)
async def test_resume_after_the_connection_state_ttl_fails_with_80008(raw, emulator):
    _, connected = await raw.connect(client_id="late")
    emulator.controls.drop_connection(connected["connectionId"])
    await eventually(lambda: not emulator.controls.connections(), what="the emulator to forget the connection")
    _, reconnected = await raw.connect({"resume": connected["connectionDetails"]["connectionKey"]}, client_id="late")
    assert reconnected["connectionId"] != connected["connectionId"]
    assert reconnected["error"]["code"] == 80008


async def test_failed_resume_gives_the_sdk_a_new_connection_that_reattaches_cleanly(clients, emulator):
    client = await clients.realtime("alice")
    old_id = connection_id(client)
    inbox = await subscribe(client, "room")
    states = record_states(client)

    emulator.controls.drop_connection(old_id, forget=True)

    await eventually(lambda: states[-1:] == ["connected"], what="the SDK to reconnect")
    assert connection_id(client) != old_id
    assert client.connection.error_reason.code == 80008
    await eventually(lambda: client.channels.get("room").state == "attached", what="the re-attach")
    await within(client.channels.get("room").publish("after", "resume failed"), what="a publish on the new connection")
    assert [m.name for m in await inbox.wait_for_count(1)] == ["after"]
    assert [c["connectionId"] for c in emulator.controls.connections()] == [connection_id(client)]


@pytest.mark.emulator_config(history_ttl=0.2)
async def test_reattach_from_a_serial_older_than_history_attaches_at_the_head_with_90003(raw, emulator):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 15, "channel": "room", "msgSerial": 0, "messages": [{"name": "aged"}]})
    await socket.receive_action(1)
    await eventually(lambda: emulator.world.channels["room"].log.range_after(0) is None, what="the message to age out")
    await socket.send({"action": 10, "channel": "room", "channelSerial": "0000000000000000"})
    attached = await socket.receive_action(11)
    assert not attached["flags"] & 4, "RESUMED must be clear when continuity is lost"
    assert attached["error"]["code"] == 90003
    assert attached["channelSerial"] == "0000000000000001"
