"""Attach and detach: modes and flags on the wire, rewind by count and by time, DETACH, CLOSE, heartbeats."""

import time

import pytest
from ably.types.channeloptions import ChannelOptions
from ably.util.exceptions import AblyException

import emulator.channels
import emulator.history

from .conftest import Inbox, eventually, within

DEFAULT_MODES = 0xF0000 | 1 << 21  # presence, publish, subscribe, presence_subscribe, annotation_publish
HAS_PRESENCE, HAS_BACKLOG, RESUMED = 1, 2, 4


async def publish_names(client, channel_name: str, names) -> None:
    channel = client.channels.get(channel_name)
    for name in names:
        await within(channel.publish(name, "x"))


async def attach_with_rewind(client, channel_name: str, rewind: str) -> Inbox:
    inbox = Inbox()
    channel = client.channels.get(channel_name, ChannelOptions(params={"rewind": rewind}))
    await channel.subscribe(inbox.add)
    await within(channel.attach())
    return inbox


async def rewound(client, channel_name: str, rewind: str, count: int) -> list[str]:
    inbox = await attach_with_rewind(client, channel_name, rewind)
    return [m.name for m in await inbox.wait_for_count(count)]


async def test_rewind_by_count_replays_the_last_messages_then_continues_live(clients):
    publisher = await clients.realtime("publisher")
    await publish_names(publisher, "room", ["m1", "m2", "m3", "m4"])
    inbox = await attach_with_rewind(await clients.realtime("late"), "room", "2")
    assert [m.name for m in await inbox.wait_for_count(2)] == ["m3", "m4"]
    await publish_names(publisher, "room", ["m5"])
    assert [m.name for m in await inbox.wait_for_count(3)] == ["m3", "m4", "m5"]
    assert len(inbox.items) == 3


@pytest.mark.emulator_config(rewind_max=3)
async def test_rewind_is_capped_at_rewind_max(clients):
    publisher = await clients.realtime("publisher")
    await publish_names(publisher, "room", [f"m{i}" for i in range(6)])
    late = await clients.realtime("late")
    assert await rewound(late, "room", "100", 3) == ["m3", "m4", "m5"]


async def test_rewind_by_time_covers_the_window_and_leaves_older_messages_out(clients, monkeypatch):
    publisher = await clients.realtime("publisher")
    await publish_names(publisher, "room", ["old"])
    later = time.time() + 20
    monkeypatch.setattr(emulator.channels, "now_ms", lambda: int(later * 1000))
    monkeypatch.setattr(emulator.history.time, "time", lambda: later)
    await publish_names(publisher, "room", ["recent"])

    assert await rewound(await clients.realtime("a"), "room", "15s", 1) == ["recent"]
    assert await rewound(await clients.realtime("b"), "room", "1m", 2) == ["old", "recent"]


async def test_invalid_rewind_fails_the_attach_with_40003(clients):
    client = await clients.realtime("alice")
    channel = client.channels.get("room", ChannelOptions(params={"rewind": "yesterday"}))
    with pytest.raises(AblyException) as caught:
        await within(channel.attach())
    assert caught.value.code == 40003


async def test_attached_carries_modes_serial_params_and_presence_flag_on_the_wire(raw):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 10, "channel": "room", "params": {"rewind": "1", "unknown": "x"}})
    attached = await socket.receive_action(11)
    assert attached["flags"] == DEFAULT_MODES
    assert attached["channelSerial"] == "0000000000000000"
    assert attached["params"] == {"rewind": "1"}

    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    await socket.receive_action(1)
    other, _ = await raw.connect(client_id="bob")
    await other.send({"action": 10, "channel": "room", "flags": 32 | (1 << 18) | (1 << 19)})
    attached = await other.receive_action(11)
    assert attached["flags"] == (1 << 18) | (1 << 19) | HAS_PRESENCE, "requested modes only, ATTACH_RESUME masked"
    sync = await other.receive_action(16)
    assert sync["channelSerial"].endswith(":")
    assert [m["clientId"] for m in sync["presence"]] == ["alice"]


async def test_detach_stops_delivery_and_answers_detached(raw):
    socket, _ = await raw.connect(client_id="alice")
    writer, _ = await raw.connect(client_id="writer")
    await socket.send({"action": 10, "channel": "room"})
    await socket.receive_action(11)
    await socket.send({"action": 12, "channel": "room"})
    assert await socket.receive_action(13) == {"action": 13, "channel": "room"}
    await writer.send({"action": 15, "channel": "room", "msgSerial": 0, "messages": [{"name": "unseen"}]})
    await writer.receive_action(1)
    await socket.send({"action": 0, "id": "after-detach"})
    assert (await socket.receive()) == {"action": 0, "id": "after-detach"}, "no MESSAGE arrived after DETACHED"


async def test_close_answers_closed_and_forgets_the_connection(raw, emulator):
    socket, connected = await raw.connect(client_id="alice")
    await socket.send({"action": 7})
    assert await socket.receive_action(8) == {"action": 8}
    assert await socket.receive() is None
    await eventually(lambda: not emulator.controls.connections(), what="the connection to be forgotten")
    _, again = await raw.connect({"resume": connected["connectionDetails"]["connectionKey"]}, client_id="alice")
    assert again["error"]["code"] == 80008


@pytest.mark.emulator_config(max_idle_interval=0.2)
async def test_idle_connection_gets_heartbeats_within_max_idle_interval(raw):
    socket, connected = await raw.connect(client_id="alice")
    assert connected["connectionDetails"]["maxIdleInterval"] == 200
    started = time.monotonic()
    heartbeats = []
    while len(heartbeats) < 3:
        heartbeats.append(await socket.receive(timeout=0.5, heartbeats=True))
    assert all(frame == {"action": 0} for frame in heartbeats)
    assert time.monotonic() - started < 1.0


async def test_attach_while_already_attached_replays_nothing_twice(raw):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 10, "channel": "room", "params": {"rewind": "5"}})
    first = await socket.receive_action(11)
    await socket.send({"action": 15, "channel": "room", "msgSerial": 0, "messages": [{"name": "once"}]})
    delivered = await socket.receive_action(15)
    await socket.receive_action(1)

    await socket.send(
        {"action": 10, "channel": "room", "channelSerial": first["channelSerial"], "params": {"rewind": "5"}}
    )
    again = await socket.receive_action(11)
    assert again["flags"] & RESUMED
    await socket.send({"action": 0, "id": "after-reattach"})
    assert await socket.receive() == {"action": 0, "id": "after-reattach"}, f"{delivered['messages']} came only once"


async def test_attach_resume_flag_skips_the_rewind(raw):
    """ably-js resume_rewind_1 (spec RTL4j2): a client resuming its attachment is not rewound again."""
    publisher, _ = await raw.connect(client_id="publisher")
    await publisher.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": [{"name": "old"}]})
    await publisher.receive_action(1)
    socket, _ = await raw.connect(client_id="resumer")
    attach_resume = 32
    await socket.send({"action": 10, "channel": "room", "flags": attach_resume, "params": {"rewind": "1"}})
    attached = await socket.receive_action(11)
    assert not attached["flags"] & HAS_BACKLOG
    await socket.send({"action": 0, "id": "ping"})
    assert (await socket.receive())["id"] == "ping", "no rewound message came before the heartbeat's echo"


async def test_a_numeric_param_is_read_as_its_text(raw):
    """ably-js passes `params: {rewind: 1}` through as a number (resume_rewind_1); Ably reads it as "1"."""
    publisher, _ = await raw.connect(client_id="publisher")
    await publisher.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": [{"name": "old"}]})
    await publisher.receive_action(1)
    socket, _ = await raw.connect(client_id="late")
    await socket.send({"action": 10, "channel": "room", "params": {"rewind": 1}})
    attached = await socket.receive_action(11)
    assert attached["params"] == {"rewind": "1"}
    assert [m["name"] for m in (await socket.receive_action(15))["messages"]] == ["old"]
