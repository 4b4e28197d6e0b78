"""Channel status (`GET /channels/{name}`): ChannelDetails with the channel's occupancy now, as Ably serves it."""

import pytest
from ably.types.channeloptions import ChannelOptions
from ably.util.exceptions import AblyException

from .conftest import Inbox, within

EMPTY = {
    "connections": 0,
    "publishers": 0,
    "subscribers": 0,
    "presence_connections": 0,
    "presence_members": 0,
    "presence_subscribers": 0,
}


def metrics_of(details) -> dict:
    metrics = details.status.occupancy.metrics
    return {name: getattr(metrics, name) for name in EMPTY}


async def test_a_channel_nobody_uses_is_reported_active_with_no_occupancy(clients):
    rest = clients.rest()
    details = await within(rest.channels.get("p2p:quiet").status())
    assert (details.channel_id, details.status.is_active, metrics_of(details)) == ("p2p:quiet", True, EMPTY)


async def test_occupancy_counts_attachments_by_mode_and_presence_members(clients):
    status = clients.rest().channels.get("p2p:room").status
    alice = await clients.realtime("alice")
    await within(alice.channels.get("p2p:room").presence.enter("hi"))
    watcher = (await clients.realtime("bob")).channels.get("p2p:room", ChannelOptions(params={"modes": "subscribe"}))
    await within(watcher.attach())
    both = {
        "connections": 2,
        "publishers": 1,
        "subscribers": 2,
        "presence_connections": 1,
        "presence_members": 1,
        "presence_subscribers": 1,
    }
    assert metrics_of(await within(status())) == both
    await within(watcher.detach())
    assert metrics_of(await within(status())) == {**both, "connections": 1, "subscribers": 1}
    await within(alice.close())
    assert metrics_of(await within(status())) == EMPTY


async def test_status_needs_the_channel_metadata_capability(clients):
    rest = clients.rest(capability={"p2p:*": ["subscribe", "publish", "presence", "history"]})
    with pytest.raises(AblyException) as refused:
        await within(rest.channels.get("p2p:room").status())
    assert (refused.value.status_code, refused.value.code) == (401, 40160)


async def test_an_attachment_with_the_occupancy_param_gets_meta_occupancy_messages_as_occupancy_changes(clients):
    events = Inbox()
    watcher = (await clients.realtime("watcher")).channels.get(
        "p2p:room", ChannelOptions(params={"occupancy": "metrics"})
    )
    await within(watcher.subscribe("[meta]occupancy", events.add))
    bob = await clients.realtime("bob")
    await within(bob.channels.get("p2p:room").presence.enter())
    first, second = await events.wait_for_count(2)
    assert first.data["metrics"]["connections"] == 1
    assert (second.data["metrics"]["connections"], second.data["metrics"]["presenceMembers"]) == (2, 1)


async def test_an_attachment_without_the_occupancy_param_gets_no_occupancy_messages(clients):
    received = Inbox()
    plain = (await clients.realtime("plain")).channels.get("p2p:room")
    await within(plain.subscribe(received.add))
    events = Inbox()
    watcher = (await clients.realtime("watcher")).channels.get(
        "p2p:room", ChannelOptions(params={"occupancy": "metrics"})
    )
    await within(watcher.subscribe("[meta]occupancy", events.add))
    await within((await clients.realtime("third")).channels.get("p2p:room").attach())
    await events.wait_for_count(2)  # the change the third attachment made has been reported
    await within(plain.publish("after", "x"))
    await received.wait_for_count(1)
    assert [m.name for m in received.items] == ["after"]


async def test_a_second_watcher_attaching_is_reported_to_the_first(clients):
    first_events = Inbox()
    params = ChannelOptions(params={"occupancy": "metrics"})
    first = (await clients.realtime("first")).channels.get("p2p:room", params)
    await within(first.subscribe("[meta]occupancy", first_events.add))
    second = (await clients.realtime("second")).channels.get("p2p:room", params)
    await within(second.subscribe("[meta]occupancy", Inbox().add))
    events = await first_events.wait_for_count(2)
    assert [event.data["metrics"]["connections"] for event in events] == [1, 2]
