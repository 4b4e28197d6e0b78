"""`remainPresentFor` (connect param, ms): how long a dropped connection's members stay present, as on Ably.

ably-js test/realtime/presence.test.js `presence_auto_reenter_different_connid` connects with
`transportParams: {remainPresentFor: 5000}` and waits for the old member's leave.
"""

import pytest

ENTER, LEAVE = 2, 3


async def entered_then_dropped(raw, emulator, query: dict) -> str:
    socket, connected = await raw.connect(query, client_id="ghost")
    await socket.send({"action": 10, "channel": "room"})
    await socket.receive_action(11)
    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": [{"action": 2}]})
    await socket.receive_action(1)
    emulator.controls.drop_connection(connected["connectionId"])
    return connected["connectionId"]


async def watcher(raw):
    socket, _ = await raw.connect(client_id="watcher")
    await socket.send({"action": 10, "channel": "room"})
    await socket.receive_action(11)
    return socket


@pytest.mark.emulator_config(presence_leave_timeout=60)
async def test_members_leave_after_remain_present_for_instead_of_the_default(raw, emulator):
    watching = await watcher(raw)
    await entered_then_dropped(raw, emulator, {"remainPresentFor": "200"})
    actions = []
    while LEAVE not in actions:
        frame = await watching.receive_action(14, timeout=3)
        actions += [member["action"] for member in frame["presence"]]
    assert actions == [ENTER, LEAVE]


@pytest.mark.parametrize("value", ["soon", "-5", "1e3"])
async def test_a_remain_present_for_that_is_not_milliseconds_is_refused_with_40003(raw, value):
    _, first = await raw.connect({"remainPresentFor": value}, expect_connected=False)
    assert (first["action"], first["error"]["code"]) == (9, 40003)


async def test_the_sdk_passes_remain_present_for_through_transport_params(clients, emulator):
    client = await clients.realtime("alice", transport_params={"remainPresentFor": "1500"})
    connection = emulator.controls.world.connections[client.connection.connection_manager.connection_id]
    assert connection.remain_present_for == 1.5
