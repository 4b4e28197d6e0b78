"""Channel status (`GET /channels/{name}`): ChannelDetails with the channel's occupancy now, as Ably serves it."""

import pytest
from ably.types.channeloptions import ChannelOptions
from ably.util.exceptions import AblyException

from .conftest import within

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
