"""Ably's limits, enforced as Ably does: presence members per channel, sizes and counts of publishes and presence."""

import base64

import pytest

from emulator import EmulatorConfig
from emulator.cli import build_parser, config_from

from .conftest import FAKE_KEY

ACK, NACK, ATTACH, ATTACHED, PRESENCE, MESSAGE = 1, 2, 10, 11, 14, 15
ENTER, LEAVE = 2, 3


def enter(msg_serial: int, data="here", action: int = ENTER) -> dict:
    return {
        "action": PRESENCE,
        "channel": "room",
        "msgSerial": msg_serial,
        "presence": [{"action": action, "data": data}],
    }


def test_defaults_are_ablys():
    config = EmulatorConfig()
    assert (config.presence_members_max, config.max_message_size, config.max_frame_size) == (200, 65536, 524288)


def test_cli_options_set_the_limits():
    args = build_parser().parse_args(
        ["--presence-members-max", "3", "--max-messages-per-publish", "7", "--history-max", "50"]
    )
    config = config_from(args)
    assert (config.presence_members_max, config.max_messages_per_publish, config.history_max) == (3, 7, 50)


def test_cli_options_set_the_memory_bounds():
    args = build_parser().parse_args(
        [
            "--history-max-bytes",
            "1000",
            "--history-total-max",
            "20",
            "--history-total-max-bytes",
            "3000",
            "--max-outbound-bytes",
            "4000",
        ]
    )
    config = config_from(args)
    assert (
        config.history_max_bytes,
        config.history_total_max,
        config.history_total_max_bytes,
        config.max_outbound_bytes,
    ) == (1000, 20, 3000, 4000)


@pytest.mark.emulator_config(presence_members_max=2)
async def test_entering_a_full_channel_is_nacked_with_91003_until_a_member_leaves(raw):
    sockets = [(await raw.connect(client_id=name))[0] for name in ("ann", "bob", "cat")]
    for socket in sockets[:2]:
        await socket.send(enter(0))
        assert (await socket.receive_action(ACK))["msgSerial"] == 0
    late = sockets[2]

    await late.send(enter(0))
    nack = await late.receive_action(NACK)
    assert (nack["error"]["code"], nack["error"]["statusCode"]) == (91003, 400)
    assert (
        nack["error"]["message"] == "Unable to enter member to presence channel; maximum number of 2 members exceeded"
    )

    await sockets[0].send(enter(1, data="updated"))  # a member already present may still update
    assert (await sockets[0].receive_action(ACK))["msgSerial"] == 1
    await sockets[0].send(enter(2, action=LEAVE))
    await sockets[0].receive_action(ACK)
    await late.send(enter(1))
    assert (await late.receive_action(ACK))["msgSerial"] == 1


@pytest.mark.emulator_config(presence_members_max=1)
async def test_a_refused_presence_frame_enters_none_of_its_members(raw, emulator):
    socket, _ = await raw.connect(query={"key": FAKE_KEY}, client_id=None)
    members = [{"action": ENTER, "clientId": name} for name in ("ann", "bob")]
    await socket.send({"action": PRESENCE, "channel": "room", "msgSerial": 0, "presence": members})
    assert (await socket.receive_action(NACK))["error"]["code"] == 91003
    channel = emulator.world.channels.get("room")
    assert channel is None or not channel.presence.members


@pytest.mark.emulator_config(max_message_size=100)
async def test_presence_data_over_max_message_size_is_nacked_with_40009(raw):
    socket, _ = await raw.connect(client_id="ann")
    await socket.send(enter(0, data="x" * 101))
    assert (await socket.receive_action(NACK))["error"]["code"] == 40009
    await socket.send(enter(1, data={"text": "x" * 100}))
    assert (await socket.receive_action(NACK))["error"]["code"] == 40009
    await socket.send(enter(2, data="x" * 50))
    assert (await socket.receive_action(ACK))["msgSerial"] == 2


@pytest.mark.emulator_config(max_frame_size=2048)
async def test_presence_frame_over_max_frame_size_is_nacked_with_40009(raw):
    socket, _ = await raw.connect(query={"key": FAKE_KEY}, client_id=None)
    members = [{"action": ENTER, "clientId": f"member{i}", "data": "x" * 100} for i in range(30)]
    await socket.send({"action": PRESENCE, "channel": "room", "msgSerial": 0, "presence": members})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40009


@pytest.mark.emulator_config(max_message_size=100)
async def test_object_data_counts_as_its_json_text_towards_max_message_size(raw):
    socket, _ = await raw.connect(client_id="ann")
    await socket.send({"action": MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"data": {"t": "x" * 100}}]})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40009


@pytest.mark.emulator_config(max_messages_per_publish=3)
async def test_more_messages_in_one_publish_than_allowed_are_refused_with_40034(raw, emulator):
    socket, _ = await raw.connect(client_id="ann")
    await socket.send({"action": MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"data": "m"}] * 4})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40034
    await socket.send({"action": MESSAGE, "channel": "room", "msgSerial": 1, "messages": [{"data": "m"}] * 3})
    assert len((await socket.receive_action(ACK))["res"][0]["serials"]) == 3

    members = [{"action": ENTER, "clientId": "ann"}] * 4
    await socket.send({"action": PRESENCE, "channel": "room", "msgSerial": 2, "presence": members})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40034

    session = await raw.http()
    async with session.post(
        f"{emulator.url}/channels/room/messages",
        json=[{"data": "m"}] * 4,
        headers={"Authorization": f"Basic {base64.b64encode(FAKE_KEY.encode()).decode()}"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 40034
