"""Annotations on messages and their summaries, as Ably serves them (its "Message annotations" docs; ably-python
test/ably/*/...annotations_test.py and ably-js test/realtime/annotations.test.js are the SDK makers' checks).

An annotation reaches attachments with the annotation_subscribe mode; the message's summary, every type added up
by its aggregation, follows as a `message.summary` to subscribers and is part of the message from then on.
"""

import pytest
from ably import AblyException, MessageAction
from ably.types.annotation import Annotation, AnnotationAction
from ably.types.channelmode import ChannelMode
from ably.types.channeloptions import ChannelOptions

from .conftest import Inbox, within

EVERY_MODE = [
    ChannelMode.PUBLISH,
    ChannelMode.SUBSCRIBE,
    ChannelMode.ANNOTATION_PUBLISH,
    ChannelMode.ANNOTATION_SUBSCRIBE,
]


async def test_an_annotation_reaches_annotation_subscribers_then_the_summary_reaches_subscribers(clients):
    channel = (await clients.realtime("alice")).channels.get("room", ChannelOptions(modes=EVERY_MODE))
    annotations, messages = Inbox(), Inbox()
    await within(channel.annotations.subscribe(annotations.add))
    await within(channel.subscribe(messages.add))
    serial = (await within(channel.publish("message", "foobar"))).serials[0]

    await within(channel.annotations.publish(serial, Annotation(type="reaction:distinct.v1", name="👍")))
    [annotation] = await annotations.wait_for_count(1)
    assert (annotation.action, annotation.message_serial, annotation.name) == (
        AnnotationAction.ANNOTATION_CREATE,
        serial,
        "👍",
    )
    assert annotation.serial > serial
    _, summary = await messages.wait_for_count(2)
    assert (summary.action, summary.serial, summary.name) == (MessageAction.MESSAGE_SUMMARY, serial, "message")
    assert summary.annotations.summary == {
        "reaction:distinct.v1": {"👍": {"total": 1, "clientIds": ["alice"], "clipped": False}}
    }


async def test_each_aggregation_adds_up_as_ably_documents(clients):
    rest = clients.rest("alice").channels.get("room")
    bob = clients.rest("bob").channels.get("room")
    serial = (await within(rest.publish("message", "x"))).serials[0]
    for channel, annotation in [
        (rest, Annotation(type="votes:total.v1")),
        (bob, Annotation(type="votes:total.v1")),
        (rest, Annotation(type="star:flag.v1")),
        (rest, Annotation(type="emoji:distinct.v1", name="👍")),
        (bob, Annotation(type="emoji:distinct.v1", name="👍")),
        (rest, Annotation(type="poll:unique.v1", name="yes")),
        (rest, Annotation(type="poll:unique.v1", name="no")),
        (rest, Annotation(type="cheers:multiple.v1", name="🎉", count=3)),
        (bob, Annotation(type="cheers:multiple.v1", name="🎉")),
    ]:
        await within(channel.annotations.publish(serial, annotation))
    await within(bob.annotations.delete(serial, Annotation(type="emoji:distinct.v1", name="👍")))

    summary = (await within(rest.get_message(serial))).annotations.summary
    assert summary == {
        "votes:total.v1": {"total": 2},
        "star:flag.v1": {"total": 1, "clientIds": ["alice"], "clipped": False},
        "emoji:distinct.v1": {"👍": {"total": 1, "clientIds": ["alice"], "clipped": False}},
        "poll:unique.v1": {"no": {"total": 1, "clientIds": ["alice"], "clipped": False}},
        "cheers:multiple.v1": {
            "🎉": {
                "total": 4,
                "clientIds": {"alice": 3, "bob": 1},
                "totalUnidentified": 0,
                "clipped": False,
                "totalClientIds": 2,
            }
        },
    }


async def test_a_message_s_annotations_are_listed_in_order_in_pages(clients):
    channel = clients.rest("alice").channels.get("room")
    serial = (await within(channel.publish("message", "x"))).serials[0]
    for name in ["a", "b", "c"]:
        await within(channel.annotations.publish(serial, Annotation(type="r:distinct.v1", name=name)))
    first = await within(channel.annotations.get(serial, {"limit": 2}))
    second = await within(first.next())
    names = [a.name for a in first.items + second.items]
    assert names == ["a", "b", "c"]
    serials = [a.serial for a in first.items + second.items]
    assert serials == sorted(serials)
    assert not second.has_next()


async def test_publishing_an_annotation_needs_the_annotation_publish_capability(clients):
    channel = clients.rest("alice", capability={"room": ["publish", "subscribe"]}).channels.get("room")
    serial = (await within(channel.publish("message", "x"))).serials[0]
    with pytest.raises(AblyException) as caught:
        await within(channel.annotations.publish(serial, Annotation(type="r:distinct.v1", name="a")))
    assert (caught.value.code, caught.value.status_code) == (40160, 401)


@pytest.mark.emulator_config(mutable_namespaces=["mutable"])
async def test_annotations_need_the_namespace_rule_when_namespaces_are_configured(clients):
    channel = clients.rest("alice").channels.get("room")
    serial = (await within(channel.publish("message", "x"))).serials[0]
    with pytest.raises(AblyException) as caught:
        await within(channel.annotations.publish(serial, Annotation(type="r:distinct.v1", name="a")))
    assert (caught.value.code, caught.value.status_code) == (93002, 400)
