"""Message updates, deletes and appends, as Ably serves them (its "Updates, deletes and appends" docs; ably-python
test/ably/*/...mutablemessages_test.py and ably-js test/*/updates-deletes.test.js are the SDK makers' checks).

A change keeps the message's serial, makes a version with a serial of its own, reaches subscribers with its action,
and is what history, rewind and getMessage show from then on, in the message's place.
"""

import pytest
from ably import AblyException, MessageAction
from ably.types.channeloptions import ChannelOptions
from ably.types.message import Message
from ably.types.operations import MessageOperation

from .conftest import Inbox, within


async def published(channel, name: str = "greeting", data: str = "hello") -> str:
    return (await within(channel.publish(name, data))).serials[0]


async def test_an_update_is_the_message_s_latest_version_with_who_why_and_when(clients):
    channel = clients.rest("alice").channels.get("room")
    serial = await published(channel)
    operation = MessageOperation(description="typo", metadata={"reason": "spelling"})
    result = await within(channel.update_message(Message(serial=serial, data="hello!"), operation))

    latest = await within(channel.get_message(serial))
    assert (latest.serial, latest.action, latest.name, latest.data) == (
        serial,
        MessageAction.MESSAGE_UPDATE,
        "greeting",
        "hello!",
    )
    assert latest.version.serial == result.version_serial > serial
    assert (latest.version.client_id, latest.version.description) == ("alice", "typo")
    assert latest.version.metadata == {"reason": "spelling"}
    assert latest.version.timestamp >= latest.timestamp


async def test_history_shows_each_message_once_in_its_latest_version_in_its_place(clients):
    channel = clients.rest("alice").channels.get("room")
    first = await published(channel, data="one")
    await published(channel, data="two")
    await within(channel.update_message(Message(serial=first, data="one, edited")))
    await within(channel.delete_message(Message(serial=first)))

    page = await within(channel.history(direction="forwards"))
    assert [(m.data, m.action) for m in page.items] == [("one, edited", MessageAction.MESSAGE_DELETE), ("two", 0)]
    versions = (await within(channel.get_message_versions(first))).items
    assert [m.action for m in versions] == [0, MessageAction.MESSAGE_UPDATE, MessageAction.MESSAGE_DELETE]
    assert [m.data for m in versions] == ["one", "one, edited", "one, edited"]


async def test_subscribers_see_changes_and_an_append_as_its_fragment_once_they_hold_the_message(clients):
    early, late = Inbox(), Inbox()
    publisher = clients.rest("alice").channels.get("room")
    early_channel = (await clients.realtime("bob")).channels.get("room")
    await within(early_channel.subscribe(early.add))
    serial = await published(publisher, data="Hello")
    late_channel = (await clients.realtime("carol")).channels.get("room")
    await within(late_channel.subscribe(late.add))

    await within(publisher.append_message(Message(serial=serial, data=" World")))
    await within(publisher.append_message(Message(serial=serial, data="!")))

    created, first, second = await early.wait_for_count(3)
    assert [m.data for m in (first, second)] == [" World", "!"]
    assert first.action == second.action == MessageAction.MESSAGE_APPEND
    assert created.serial == first.serial == second.serial == serial
    whole, fragment = await late.wait_for_count(2)
    assert (whole.action, whole.data) == (MessageAction.MESSAGE_UPDATE, "Hello World")
    assert (fragment.action, fragment.data) == (MessageAction.MESSAGE_APPEND, "!")
    assert (await within(publisher.get_message(serial))).data == "Hello World!"


async def test_a_rewind_replays_the_latest_versions_not_the_changes(clients):
    publisher = clients.rest("alice").channels.get("room")
    serial = await published(publisher, data="draft")
    await published(publisher, name="other", data="next")
    await within(publisher.update_message(Message(serial=serial, data="final")))

    inbox = Inbox()
    channel = (await clients.realtime("bob")).channels.get("room", ChannelOptions(params={"rewind": "2"}))
    await within(channel.subscribe(inbox.add))
    assert [(m.data, m.action) for m in await inbox.wait_for_count(2)] == [
        ("final", MessageAction.MESSAGE_UPDATE),
        ("next", 0),
    ]


async def test_a_realtime_update_is_acknowledged_with_its_version_serial(clients):
    channel = (await clients.realtime("alice")).channels.get("room")
    inbox = Inbox()
    await within(channel.subscribe(inbox.add))
    serial = (await within(channel.publish("greeting", "hi"))).serials[0]
    result = await within(channel.update_message(Message(serial=serial, data="hi there")))
    _, update = await inbox.wait_for_count(2)
    assert (update.serial, update.version.serial, update.data) == (serial, result.version_serial, "hi there")


async def test_own_capabilities_cover_only_the_client_s_own_messages(clients):
    own = {"room": ["publish", "history", "message-update-own", "message-delete-own"]}
    channel = clients.rest("alice", capability=own).channels.get("room")
    mine = await published(channel)
    theirs = await published(clients.rest("bob").channels.get("room"))

    await within(channel.update_message(Message(serial=mine, data="mine, edited")))
    with pytest.raises(AblyException) as caught:
        await within(channel.delete_message(Message(serial=theirs)))
    assert (caught.value.code, caught.value.status_code) == (40160, 401)


async def test_an_unknown_serial_is_not_found(clients):
    channel = clients.rest("alice").channels.get("room")
    with pytest.raises(AblyException) as caught:
        await within(channel.update_message(Message(serial="0000000000000042", data="x")))
    assert (caught.value.code, caught.value.status_code) == (40400, 404)


@pytest.mark.emulator_config(mutable_namespaces=["mutable"])
async def test_changes_need_the_namespace_rule_when_namespaces_are_configured(clients):
    elsewhere = clients.rest("alice").channels.get("plain:room")
    serial = await published(elsewhere)
    with pytest.raises(AblyException) as caught:
        await within(elsewhere.update_message(Message(serial=serial, data="x")))
    assert (caught.value.code, caught.value.status_code) == (93002, 400)
    ruled = clients.rest("alice").channels.get("mutable:room")
    await within(ruled.update_message(Message(serial=await published(ruled), data="x")))


async def test_a_resume_replays_the_changes_it_missed_in_order(clients, raw):
    publisher = clients.rest("alice").channels.get("room")
    serial = await published(publisher, data="draft")
    update = await within(publisher.update_message(Message(serial=serial, data="final")))

    socket, _ = await raw.connect()
    await socket.send({"action": 10, "channel": "room", "channelSerial": serial})
    attached = await socket.receive_action(11)
    replayed = await socket.receive_action(15)
    assert attached["flags"] & 4, "RESUMED"
    [change] = replayed["messages"]
    assert (change["serial"], change["action"], change["data"]) == (serial, MessageAction.MESSAGE_UPDATE, "final")
    assert replayed["channelSerial"] == change["version"]["serial"] == update.version_serial
