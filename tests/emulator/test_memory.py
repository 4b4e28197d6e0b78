"""Memory comes back: unused channels are dropped, history is pruned on a timer and capped by count and by bytes,
per channel and across all channels (oldest first), idempotency ids go with their messages, counters by channel
exist only for channels that passed a capability check, and the HTTP controls serve no other origin.
"""

import base64

import pytest

from emulator.controls import PREFIX
from emulator.lifecycle import discard

from .conftest import FAKE_KEY, RawClients, eventually

ACK, NACK, ERROR, ATTACH, ATTACHED, DETACH, DETACHED, PRESENCE, MESSAGE = 1, 2, 9, 10, 11, 12, 13, 14, 15
BASIC = {"Authorization": f"Basic {base64.b64encode(FAKE_KEY.encode()).decode()}"}


async def attach(socket, channel: str = "room") -> None:
    await socket.send({"action": ATTACH, "channel": channel})
    await socket.receive_action(ATTACHED)


async def test_a_channel_nobody_uses_is_dropped_when_the_last_attachment_goes(raw: RawClients, emulator):
    first, _ = await raw.connect(client_id="ann")
    second, _ = await raw.connect(client_id="bob")
    await attach(first)
    await attach(second)
    await first.send({"action": DETACH, "channel": "room"})
    await first.receive_action(DETACHED)
    assert "room" in emulator.world.channels
    await second.send({"action": DETACH, "channel": "room"})
    await second.receive_action(DETACHED)
    assert "room" not in emulator.world.channels


@pytest.mark.emulator_config(history_ttl=0.3, housekeeping_interval=0.05)
async def test_a_channel_is_kept_while_a_member_or_a_paused_attachment_remains(raw: RawClients, emulator):
    member, connected = await raw.connect(client_id="ann")
    await attach(member)
    await member.send({"action": PRESENCE, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    await member.receive_action(ACK)
    connection = emulator.world.connections[connected["connectionId"]]
    emulator.controls.drop_connection(connection.id)  # resumable: its attachment is paused, its member stays
    await eventually(lambda: not emulator.world.channels["room"].subscribers, what="the transport to go")
    emulator.world.housekeep()
    assert "room" in emulator.world.channels

    discard(emulator.world, connection)  # as when connectionStateTtl passes: the member leaves
    assert not emulator.world.channels["room"].presence.members
    await eventually(lambda: "room" not in emulator.world.channels, what="the channel to go with its presence history")


@pytest.mark.emulator_config(history_ttl=0.3, housekeeping_interval=0.05)
async def test_a_channel_whose_history_expires_is_dropped_by_the_housekeeping_timer(raw: RawClients, emulator):
    session = await raw.http()
    async with session.post(f"{emulator.url}/channels/room/messages", json={"data": "x"}, headers=BASIC) as response:
        assert response.status == 201
    assert "room" in emulator.world.channels
    await eventually(lambda: "room" not in emulator.world.channels, what="the channel to be dropped")
    async with session.get(f"{emulator.url}/channels/room/messages", headers=BASIC) as response:
        assert await response.json() == []


@pytest.mark.emulator_config(history_max=5)
async def test_history_keeps_at_most_history_max_messages_per_channel(raw: RawClients, emulator):
    publisher, _ = await raw.connect(client_id="ann")
    for serial in range(8):
        await publisher.send(
            {"action": MESSAGE, "channel": "room", "msgSerial": serial, "messages": [{"data": str(serial)}]}
        )
        await publisher.receive_action(ACK)
    session = await raw.http()
    async with session.get(f"{emulator.url}/channels/room/messages", headers=BASIC) as response:
        assert [message["data"] for message in await response.json()] == ["7", "6", "5", "4", "3"]
    late, _ = await raw.connect(client_id="bob")
    await late.send({"action": ATTACH, "channel": "room", "params": {"rewind": "100"}})
    await late.receive_action(ATTACHED)
    replayed = [(await late.receive_action(MESSAGE))["messages"][0]["data"] for _ in range(5)]
    assert replayed == ["3", "4", "5", "6", "7"]


async def test_channels_refused_by_the_capability_get_no_counters(raw: RawClients, emulator):
    socket, _ = await raw.connect(client_id="ann", capability={"room": ["*"]})
    await socket.send({"action": ATTACH, "channel": "secret-1"})
    await socket.receive_action(ERROR)
    await socket.send({"action": MESSAGE, "channel": "secret-2", "msgSerial": 0, "messages": [{"data": "x"}]})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40160
    await attach(socket)
    stats = emulator.controls.stats()
    assert set(stats["channels"]) == {"room"}
    assert stats["total"]["bytes_in"] > stats["channels"]["room"]["bytes_in"] > 0
    assert set(emulator.world.channels) == {"room"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://evil.example"}, id="other-origin"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site-no-cors"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site-other-port"),
    ],
)
async def test_controls_refuse_requests_from_another_origin_with_no_cors_headers(raw: RawClients, emulator, headers):
    session = await raw.http()
    for method, path in (("POST", "connections/drop"), ("GET", "stats"), ("OPTIONS", "stats/reset")):
        async with session.request(method, f"{emulator.url}{PREFIX}/{path}", headers=headers) as response:
            assert response.status == 403
            assert (await response.json())["error"]["code"] == 40300
            assert "Access-Control-Allow-Origin" not in response.headers


async def test_controls_answer_same_origin_and_non_browser_requests_without_cors_headers(raw: RawClients, emulator):
    session = await raw.http()
    for headers in ({}, {"Origin": emulator.url, "Sec-Fetch-Site": "same-origin"}):
        async with session.get(f"{emulator.url}{PREFIX}/stats", headers=headers) as response:
            assert response.status == 200
            assert "Access-Control-Allow-Origin" not in response.headers
    async with session.get(f"{emulator.url}/time", headers={"Origin": "http://app.example"}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "http://app.example"


async def test_memory_control_reports_what_the_emulator_still_holds(raw: RawClients, emulator):
    socket, _ = await raw.connect(client_id="ann")
    await socket.send({"action": MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"data": "x"}] * 3})
    await socket.receive_action(ACK)
    session = await raw.http()
    async with session.get(f"{emulator.url}{PREFIX}/memory") as response:
        memory = await response.json()
    assert (memory["channels"], memory["messages"], memory["connections"]) == (1, 3, 1)
    assert memory["traced_bytes"] is None  # only with PYTHONTRACEMALLOC=1
    assert memory["rss_bytes"] > 0


async def publish_rest(raw: RawClients, emulator, channel: str, data: str) -> None:
    session = await raw.http()
    url = f"{emulator.url}/channels/{channel}/messages"
    async with session.post(url, json={"data": data}, headers=BASIC) as response:
        assert response.status == 201


async def history(raw: RawClients, emulator, channel: str) -> list[str]:
    session = await raw.http()
    async with session.get(f"{emulator.url}/channels/{channel}/messages?limit=1000", headers=BASIC) as response:
        return [message["data"] for message in await response.json()]


@pytest.mark.emulator_config(history_max_bytes=50_000)
async def test_history_keeps_at_most_history_max_bytes_per_channel_newest_first(raw: RawClients, emulator):
    for number in range(10):
        await publish_rest(raw, emulator, "room", f"{number}:".ljust(10_000, "x"))
    await publish_rest(raw, emulator, "other", "small")

    kept = [data.split(":")[0] for data in await history(raw, emulator, "room")]
    assert kept == ["9", "8", "7", "6"], "four messages of 10 KB (and their records) fit in 50,000 bytes"
    assert await history(raw, emulator, "other") == ["small"]
    assert emulator.world.channels["room"].log.bytes <= 50_000
    late, _ = await raw.connect(client_id="late")
    await late.send({"action": ATTACH, "channel": "room", "params": {"rewind": "100"}})
    await late.receive_action(ATTACHED)
    replayed = [(await late.receive_action(MESSAGE))["messages"][0]["data"].split(":")[0] for _ in range(4)]
    assert replayed == ["6", "7", "8", "9"]


@pytest.mark.emulator_config(history_total_max=50, housekeeping_interval=0.05)
async def test_all_channels_together_keep_at_most_history_total_max_messages_oldest_dropped_first(raw, emulator):
    for number in range(80):
        await publish_rest(raw, emulator, f"inbox-{number}", str(number))

    assert await history(raw, emulator, "inbox-29") == []
    assert await history(raw, emulator, "inbox-30") == ["30"]
    assert await history(raw, emulator, "inbox-79") == ["79"]
    assert emulator.controls.memory()["messages"] == 50
    # The inboxes whose only message went are dropped with it: nothing of them is kept.
    await eventually(lambda: len(emulator.world.channels) == 50, what="the emptied inboxes to be dropped")


@pytest.mark.emulator_config(history_total_max_bytes=100_000, housekeeping_interval=0.05)
async def test_all_channels_together_keep_at_most_history_total_max_bytes_oldest_dropped_first(raw, emulator):
    for number in range(30):
        await publish_rest(raw, emulator, f"inbox-{number}", f"{number}:".ljust(20_000, "x"))
    await publish_rest(raw, emulator, "inbox-0", "0 again")

    held = {name for name, channel in emulator.world.channels.items() if channel.log.entries}
    assert held == {"inbox-0", "inbox-26", "inbox-27", "inbox-28", "inbox-29"}, "four of 20 KB fit in 100,000 bytes"
    assert await history(raw, emulator, "inbox-0") == ["0 again"]
    assert emulator.controls.memory()["history_bytes"] <= 100_000
    await eventually(lambda: set(emulator.world.channels) == held, what="the emptied inboxes to be dropped")


@pytest.mark.emulator_config(history_max_bytes=20_000)
async def test_an_idempotency_id_is_forgotten_with_its_message(raw: RawClients, emulator):
    """Ids live as long as their messages, so a client choosing long ids cannot outgrow the history caps."""
    publisher, _ = await raw.connect(client_id="ann")
    for serial in range(10):
        await publisher.send(
            {"action": MESSAGE, "channel": "room", "msgSerial": serial, "messages": [{"id": f"id-{serial}" * 1000}]}
        )
        await publisher.receive_action(ACK)
    room = emulator.world.channels["room"]
    assert len(room.log.entries) == 4, "four messages with ids of 4,000 characters fit in 20,000 bytes"
    assert list(room.recent_ids.seen) == [entry.message["id"] for entry in room.log.entries]
