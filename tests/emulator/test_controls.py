"""Test and benchmark controls over Python and HTTP, and counters counted the way Ably bills."""

import pytest
from ably.types.channeloptions import ChannelOptions

from .conftest import Inbox, connection_id, eventually, within


async def test_connections_lists_live_connections_with_their_channels(clients, emulator, raw):
    client = await clients.realtime("alice")
    await within(client.channels.get("room").attach())
    session = await raw.http()
    async with session.get(f"{emulator.url}/_emulator/connections") as response:
        listing = await response.json()
    assert listing == [
        {"connectionId": connection_id(client), "clientId": "alice", "state": "connected", "channels": ["room"]}
    ]


async def test_http_drop_of_one_connection_makes_only_that_client_resume(clients, emulator, raw):
    alice = await clients.realtime("alice")
    bob = await clients.realtime("bob")
    alice_states, bob_states = [], []
    alice.connection.on(lambda change: alice_states.append(change.current))
    bob.connection.on(lambda change: bob_states.append(change.current))
    session = await raw.http()
    async with session.post(f"{emulator.url}/_emulator/connections/{connection_id(alice)}/drop") as response:
        assert response.status == 200
    await eventually(lambda: alice_states[-1:] == ["connected"], what="alice to resume")
    assert "disconnected" in alice_states
    assert bob_states == []
    async with session.post(f"{emulator.url}/_emulator/connections/nosuch/drop") as response:
        assert (response.status, (await response.json())["error"]["code"]) == (404, 40400)


async def test_http_drop_all_by_client_id_and_expire_tokens(clients, emulator, raw):
    alice = await clients.realtime("alice")
    await clients.realtime("bob")
    alice_states = []
    alice.connection.on(lambda change: alice_states.append(change.current))
    session = await raw.http()
    async with session.post(f"{emulator.url}/_emulator/connections/drop?clientId=alice") as response:
        assert await response.json() == {"dropped": 1}
    await eventually(lambda: alice_states[-2:] == ["connecting", "connected"], what="alice to come back")
    async with session.post(f"{emulator.url}/_emulator/tokens/expire?clientId=bob") as response:
        assert (await response.json())["expired"] >= 1
    await eventually(lambda: clients.tokens_issued["bob"] == 2, what="bob to renew his token")


async def test_stats_count_each_delivery_and_reset(clients, emulator, raw):
    publisher = await clients.realtime("publisher")
    inboxes = []
    for name in ("s1", "s2", "s3"):
        inbox = Inbox()
        channel = (await clients.realtime(name)).channels.get("room")
        await within(channel.attach())
        await channel.subscribe(inbox.add)
        inboxes.append(inbox)
    await within(publisher.channels.get("room").publish("n", "12345"))
    await within(publisher.channels.get("room").publish("n", "1234567890"))
    for inbox in inboxes:
        await inbox.wait_for_count(2)
    await within(publisher.channels.get("room").attach())
    await within(publisher.channels.get("room").presence.enter())

    session = await raw.http()
    async with session.get(f"{emulator.url}/_emulator/stats") as response:
        stats = await response.json()
    room = stats["channels"]["room"]
    assert room["messages_published"] == 2
    assert room["messages_delivered"] == 6, "three subscribers times two messages (the publisher is not attached)"
    assert room["presence_published"] == 1
    assert room["presence_delivered"] == 4, "the three subscribers and the publisher itself"
    assert room["max_message_bytes"] == len("n") + len("1234567890") + len("publisher")
    assert room["bytes_in"] > 0
    assert room["bytes_out"] > room["bytes_in"]
    assert stats["total"]["bytes_out"] >= room["bytes_out"]

    async with session.post(f"{emulator.url}/_emulator/stats/reset") as response:
        assert response.status == 200
    assert emulator.controls.stats() == {"total": dict.fromkeys(room, 0), "channels": {}, "refusals": {}}


@pytest.mark.emulator_config(rewind_max=10)
async def test_stats_count_rewound_deliveries_too(clients, emulator):
    publisher = await clients.realtime("publisher")
    for i in range(3):
        await within(publisher.channels.get("room").publish("n", str(i)))
    late = await clients.realtime("late")
    inbox = Inbox()
    channel = late.channels.get("room", ChannelOptions(params={"rewind": "3"}))
    await channel.subscribe(inbox.add)
    await within(channel.attach())
    await inbox.wait_for_count(3)
    assert emulator.controls.stats()["channels"]["room"]["messages_delivered"] == 3
