"""Memory comes back: unused channels are dropped, history is pruned on a timer and capped by count, counters by
channel exist only for channels that passed a capability check, and the HTTP controls serve no other origin.
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
