"""Presence: enter/update/leave broadcasts, SYNC on attach, leaves on CLOSE/DETACH, after a drop, across a resume."""

import pytest

from .conftest import Inbox, connection_id, eventually, within

ENTER, LEAVE, UPDATE, PRESENT = 2, 3, 4, 1


async def watch_presence(client, name: str) -> Inbox:
    inbox = Inbox()
    channel = client.channels.get(name)
    await within(channel.attach())
    await channel.presence.subscribe(inbox.add)
    return inbox


async def test_enter_update_leave_reach_other_members_with_sdk_ids(clients):
    alice = await clients.realtime("alice")
    watcher = await clients.realtime("watcher")
    inbox = await watch_presence(watcher, "room")
    presence = alice.channels.get("room").presence
    await within(alice.channels.get("room").attach())

    await within(presence.enter({"status": "here"}))
    await within(presence.update("busy"))
    await within(presence.leave())

    events = await inbox.wait_for_count(3)
    assert [(e.action, e.client_id, e.data) for e in events] == [
        (ENTER, "alice", {"status": "here"}),
        (UPDATE, "alice", "busy"),
        (LEAVE, "alice", "busy"),
    ]
    alice_id = connection_id(alice)
    assert all(e.connection_id == alice_id and e.id.startswith(alice_id + ":") for e in events)
    assert await within(watcher.channels.get("room").presence.get()) == []


async def test_late_attacher_gets_current_members_through_sync(clients):
    for name in ("alice", "bob"):
        client = await clients.realtime(name)
        await within(client.channels.get("room").attach())
        await within(client.channels.get("room").presence.enter(f"{name}-data"))
    late = await clients.realtime("late")
    await within(late.channels.get("room").attach())
    members = await within(late.channels.get("room").presence.get(), what="presence.get() after SYNC")
    assert sorted((m.client_id, m.data, m.action) for m in members) == [
        ("alice", "alice-data", PRESENT),
        ("bob", "bob-data", PRESENT),
    ]


@pytest.mark.emulator_config(max_frame_size=16_384)
async def test_sync_of_more_than_one_page_of_members_completes(clients):
    host = await clients.realtime("*", sdk_client_id="*")
    channel = host.channels.get("crowd")
    await within(channel.attach())
    entered = {f"member-{i:03d}": str(i) * 100 for i in range(150)}  # about 40 KB: several frames of 16 KB
    for client_id, data in entered.items():
        await channel.presence.enter_client(client_id, data)
    late = await clients.realtime("late")
    await within(late.channels.get("crowd").attach())
    members = await within(late.channels.get("crowd").presence.get(), what="a SYNC of several pages")
    assert {m.client_id: m.data for m in members} == entered


async def test_closing_a_client_makes_its_members_leave_at_once(clients):
    alice = await clients.realtime("alice")
    watcher = await clients.realtime("watcher")
    inbox = await watch_presence(watcher, "room")
    await within(alice.channels.get("room").attach())
    await within(alice.channels.get("room").presence.enter())
    await within(alice.close())
    events = await inbox.wait_for_count(2)
    assert [(e.action, e.client_id) for e in events] == [(ENTER, "alice"), (LEAVE, "alice")]


async def test_detaching_makes_the_connections_members_leave(clients):
    alice = await clients.realtime("alice")
    watcher = await clients.realtime("watcher")
    inbox = await watch_presence(watcher, "room")
    channel = alice.channels.get("room")
    await within(channel.attach())
    await within(channel.presence.enter())
    await within(channel.detach())
    events = await inbox.wait_for_count(2)
    assert [e.action for e in events] == [ENTER, LEAVE]


@pytest.mark.emulator_config(presence_leave_timeout=0.3)
async def test_members_of_a_dropped_connection_that_never_returns_leave_after_the_timeout(raw, clients, emulator):
    watcher = await clients.realtime("watcher")
    inbox = await watch_presence(watcher, "room")
    socket, connected = await raw.connect(client_id="ghost")
    await socket.send({"action": 10, "channel": "room"})
    await socket.receive_action(11)
    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2, "data": "boo"}]})
    await socket.receive_action(1)
    emulator.controls.drop_connection(connected["connectionId"])
    events = await inbox.wait_for_count(2, timeout=3)
    assert [(e.action, e.client_id) for e in events] == [(ENTER, "ghost"), (LEAVE, "ghost")]
    assert not events[1].id.startswith(connected["connectionId"] + ":"), "server-made leaves compare by timestamp"


@pytest.mark.emulator_config(presence_leave_timeout=2.0)
async def test_member_whose_connection_resumes_stays_present_across_the_drop(clients, emulator):
    alice = await clients.realtime("alice")
    watcher = await clients.realtime("watcher")
    inbox = await watch_presence(watcher, "room")
    channel = alice.channels.get("room")
    await within(channel.attach())
    await within(channel.presence.enter("still here"))
    alice_id = connection_id(alice)
    states = []
    alice.connection.on(lambda change: states.append(change.current))

    emulator.controls.drop_connection(alice_id)
    await eventually(lambda: "disconnected" in states and states[-1] == "connected", what="alice to resume")
    await eventually(lambda: channel.state == "attached", what="alice to re-attach")
    server_side = emulator.world.connections[alice_id]
    assert "presence" not in server_side.timers, "the resume cancelled the presence-leave timer"

    await within(channel.publish("marker", "x"))
    assert [(e.action, e.client_id) for e in await inbox.wait_for_count(1)] == [(ENTER, "alice")]
    members = await within(watcher.channels.get("room").presence.get())
    assert [(m.client_id, m.data) for m in members] == [("alice", "still here")]
    assert len(inbox.items) == 1


async def test_entering_without_a_client_id_is_nacked_with_91000(raw):
    socket, _ = await raw.connect(client_id=None)
    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    nack = await socket.receive_action(2)
    assert nack["error"]["code"] == 91000


async def test_entering_as_another_client_id_is_nacked_with_40012(raw):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send(
        {"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2, "clientId": "mallory"}]}
    )
    nack = await socket.receive_action(2)
    assert nack["error"]["code"] == 40012


async def test_entering_without_presence_capability_is_nacked_with_40160(raw):
    socket, _ = await raw.connect(client_id="alice", capability={"room": ["subscribe", "publish"]})
    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    nack = await socket.receive_action(2)
    assert nack["error"]["code"] == 40160
