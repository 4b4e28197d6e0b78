"""Every frame the emulator sends fits in the maxFrameSize it advertises, as Ably splits them (issue 18).

A presence SYNC of a full channel (200 members of 60 KB: 12 MB) comes in pages (`channelSerial` `<syncId>:<cursor>`,
the last cursor empty), made as the socket drains so it never counts as a slow consumer's backlog; the leaves of a
connection with many members and a MESSAGE of many messages are split the same way. ably-python refuses a frame
over 1 MiB (WebSocket close 1009) and reconnects at once, so one oversized SYNC made it reconnect in a loop.
"""

import pytest

from .conftest import FAKE_KEY, RawClients, RawSocket, within

ACK, ATTACH, ATTACHED, CLOSE, PRESENCE, MESSAGE, SYNC = 1, 10, 11, 7, 14, 15, 16
ENTER, LEAVE, PRESENT = 2, 3, 1
MEMBER_DATA = 60_000


def data_of(client_id: str) -> str:
    """60 KB of presence data that says whose it is."""
    return (client_id + ":").ljust(MEMBER_DATA, "x")


async def enter_members(raw: RawClients, count: int, channel: str = "crowd") -> RawSocket:
    """One wildcard (key) connection enters `count` members of 60 KB each, one PRESENCE per member."""
    socket, _ = await raw.connect(query={"key": FAKE_KEY}, client_id=None)
    for index in range(count):
        member = {"action": ENTER, "clientId": f"member-{index:03d}", "data": data_of(f"member-{index:03d}")}
        await socket.send({"action": PRESENCE, "channel": channel, "msgSerial": index, "presence": [member]})
    for _ in range(count):
        await socket.receive_action(ACK, timeout=30)
    return socket


async def sync_pages(socket: RawSocket, channel: str = "crowd") -> list[dict]:
    """The SYNC frames after an ATTACH, up to the one whose cursor is empty."""
    await socket.send({"action": ATTACH, "channel": channel})
    attached = await socket.receive_action(ATTACHED)
    assert attached["flags"] & 1, "HAS_PRESENCE"
    pages = [await socket.receive_action(SYNC, timeout=30)]
    while not pages[-1]["channelSerial"].endswith(":"):
        pages.append(await socket.receive_action(SYNC, timeout=30))
    return pages


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
@pytest.mark.emulator_config(max_outbound_bytes=1024 * 1024)
async def test_a_sync_of_200_members_of_60_kb_comes_in_pages_under_max_frame_size(raw: RawClients, fmt):
    await enter_members(raw, 200)
    watcher, connected = await raw.connect(client_id="watcher", fmt=fmt)
    limit = connected["connectionDetails"]["maxFrameSize"]

    pages = await sync_pages(watcher)

    members = [member for page in pages for member in page["presence"]]
    assert sorted(member["clientId"] for member in members) == [f"member-{index:03d}" for index in range(200)]
    assert all(member["data"] == data_of(member["clientId"]) and member["action"] == PRESENT for member in members)
    assert len(pages) > 20, "12 MB in frames of at most 512 KiB"
    assert max(watcher.frame_sizes) <= limit
    sync_ids = {page["channelSerial"].split(":", 1)[0] for page in pages}
    cursors = [page["channelSerial"].split(":", 1)[1] for page in pages]
    assert len(sync_ids) == 1
    assert all(cursors[:-1])
    assert cursors[-1] == ""


async def test_eighteen_members_of_60_kb_no_longer_make_ably_python_reconnect_in_a_loop(raw: RawClients, clients):
    """The 1.08 MB SYNC of issue 18: ably-python closed it with 1009 and reconnected 657 times in 8 s."""
    await enter_members(raw, 18)
    late = await clients.realtime("late")
    states: list[str] = []
    late.connection.on(lambda change: states.append(change.current))
    channel = late.channels.get("crowd")
    await within(channel.attach())

    members = await within(channel.presence.get(), timeout=30, what="presence.get() after the SYNC")

    assert sorted(member.client_id for member in members) == [f"member-{index:03d}" for index in range(18)]
    assert all(member.data == data_of(member.client_id) for member in members)
    assert states == [], "the connection never left connected"


async def test_ably_python_attaching_to_a_full_channel_gets_all_200_members_without_reconnecting(raw, clients):
    await enter_members(raw, 200)
    late = await clients.realtime("late")
    connection = late.connection.connection_manager.connection_id
    states: list[str] = []
    late.connection.on(lambda change: states.append(change.current))
    channel = late.channels.get("crowd")
    await within(channel.attach())

    members = await within(channel.presence.get(), timeout=60, what="presence.get() after the SYNC")

    assert len({member.client_id for member in members}) == 200
    assert all(member.data == data_of(member.client_id) for member in members)
    assert states == []
    assert late.connection.connection_manager.connection_id == connection


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
async def test_the_leaves_of_a_connection_with_many_large_members_are_split_under_max_frame_size(raw, fmt):
    holder = await enter_members(raw, 40)
    watcher, connected = await raw.connect(client_id="watcher", fmt=fmt)
    await sync_pages(watcher)
    sizes_before = len(watcher.frame_sizes)

    await holder.send({"action": CLOSE})
    left: list[dict] = []
    while len(left) < 40:
        left += (await watcher.receive_action(PRESENCE))["presence"]

    assert sorted(member["clientId"] for member in left) == [f"member-{index:03d}" for index in range(40)]
    assert all(member["action"] == LEAVE and member["data"] == data_of(member["clientId"]) for member in left)
    assert len(watcher.frame_sizes) - sizes_before > 1, "2.4 MB of leaves in several frames"
    assert max(watcher.frame_sizes) <= connected["connectionDetails"]["maxFrameSize"]


# A second's worth of Ably's per-connection publish rate, in one publish.
PUBLISH_COUNT = 50


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
@pytest.mark.emulator_config(max_frame_size=4096)
async def test_a_publish_whose_delivery_would_exceed_max_frame_size_arrives_in_several_frames_in_order(raw, fmt):
    """What the emulator adds to each message (id, connectionId, timestamp, serial) can outgrow the frame it came in."""
    subscriber, _ = await raw.connect(client_id="subscriber", fmt=fmt)
    await subscriber.send({"action": ATTACH, "channel": "room"})
    await subscriber.receive_action(ATTACHED)
    publisher, _ = await raw.connect(client_id="publisher")
    await publisher.send(
        {
            "action": MESSAGE,
            "channel": "room",
            "msgSerial": 0,
            "messages": [{"data": str(n)} for n in range(PUBLISH_COUNT)],
        }
    )
    serials = (await publisher.receive_action(ACK))["res"][0]["serials"]

    frames: list[dict] = []
    while sum(len(frame["messages"]) for frame in frames) < PUBLISH_COUNT:
        frames.append(await subscriber.receive_action(MESSAGE))

    assert len(frames) > 1
    assert [message["data"] for frame in frames for message in frame["messages"]] == [
        str(n) for n in range(PUBLISH_COUNT)
    ]
    assert [frame["channelSerial"] for frame in frames] == [frame["messages"][-1]["serial"] for frame in frames]
    assert frames[-1]["channelSerial"] == serials[-1]
    assert max(subscriber.frame_sizes) <= 4096
