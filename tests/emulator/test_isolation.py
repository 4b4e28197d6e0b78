"""Nobody can break anybody else: input another peer could not receive is refused before it is stored, bad values
get Ably's 400xx errors instead of internal errors, and fan-out carries on past a failing subscriber.

Every test keeps a bystander publishing and receiving on its own channel throughout and checks it lost nothing.
"""

import base64
import secrets

import pytest

from emulator.auth import now_ms, sign

from .bystander import Bystander
from .conftest import FAKE_KEY, RawClients

ACK, NACK, ERROR, ATTACH, ATTACHED, PRESENCE, MESSAGE = 1, 2, 9, 10, 11, 14, 15
ENTER = 2


def deeply_nested(levels: int) -> str:
    """JSON text of objects nested `levels` deep (written directly: json.dumps would hit its recursion limit)."""
    return '{"n": ' * levels + '"bottom"' + "}" * levels


async def publish_text(socket, text: str) -> dict:
    """Send a JSON frame as raw text (json.dumps would not let a test write a lone surrogate escape)."""
    await socket.ws.send_str(text)
    return await socket.receive_action(NACK)


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param('[{"data": {"word": "\\ud800"}}]', id="lone-surrogate-in-object-data"),
        pytest.param('[{"data": "\\udfff"}]', id="lone-surrogate-in-string-data"),
        pytest.param('[{"name": "\\ud800"}]', id="lone-surrogate-in-name"),
        pytest.param('[{"extras": {"headers": {"k": "\\ud800"}}}]', id="lone-surrogate-in-extras"),
        pytest.param('[{"data": {"big": 1180591620717411303424}}]', id="integer-beyond-64-bits"),
        pytest.param(f'[{{"data": {deeply_nested(101)}}}]', id="nested-101-levels"),
        pytest.param(f'[{{"data": {deeply_nested(600)}}}]', id="nested-600-levels"),
    ],
)
async def test_data_another_wire_format_cannot_carry_is_nacked_and_not_stored(raw: RawClients, emulator, messages):
    bystander = await Bystander.start(raw)
    msgpack_late, _ = await raw.connect(client_id="late", fmt="msgpack")
    json_live, _ = await raw.connect(client_id="live")
    await json_live.send({"action": ATTACH, "channel": "room"})
    await json_live.receive_action(ATTACHED)
    publisher, _ = await raw.connect(client_id="mallory")

    frame = f'{{"action": 15, "channel": "room", "msgSerial": 0, "messages": {messages}}}'
    nack = await publish_text(publisher, frame)
    assert (nack["msgSerial"], nack["error"]["code"]) == (0, 40013)

    assert not emulator.world.channels.get("room") or not emulator.world.channels["room"].log.entries
    await msgpack_late.send({"action": ATTACH, "channel": "room", "params": {"rewind": "10"}})
    assert (await msgpack_late.receive_action(ATTACHED))["channel"] == "room"
    await publisher.send({"action": MESSAGE, "channel": "room", "msgSerial": 1, "messages": [{"data": "fine"}]})
    await publisher.receive_action(ACK)
    for subscriber in (msgpack_late, json_live):
        delivered = await subscriber.receive_action(MESSAGE)
        assert [item["data"] for item in delivered["messages"]] == ["fine"]
    await bystander.check()


async def test_data_nested_965_levels_is_refused_and_subscribers_carry_on(raw: RawClients, emulator):
    """Refused with a NACK, or, where the JSON decoder's own depth limit comes first, an ERROR to the sender alone."""
    bystander = await Bystander.start(raw)
    subscriber, _ = await raw.connect(client_id="live")
    await subscriber.send({"action": ATTACH, "channel": "room"})
    await subscriber.receive_action(ATTACHED)
    publisher, _ = await raw.connect(client_id="mallory")
    await publisher.ws.send_str(
        f'{{"action": 15, "channel": "room", "msgSerial": 0, "messages": [{{"data": {deeply_nested(965)}}}]}}'
    )
    refusal = await publisher.receive()
    assert refusal is not None
    assert (refusal["action"], refusal["error"]["code"]) in ((NACK, 40013), (ERROR, 40000))
    assert not emulator.world.channels["room"].log.entries
    other, _ = await raw.connect(client_id="other")
    await other.send({"action": MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"data": "fine"}]})
    await other.receive_action(ACK)
    assert [item["data"] for item in (await subscriber.receive_action(MESSAGE))["messages"]] == ["fine"]
    await bystander.check()


@pytest.mark.parametrize(
    "presence",
    [
        pytest.param('[{"action": 2, "data": {"word": "\\ud800"}}]', id="lone-surrogate"),
        pytest.param(f'[{{"action": 2, "data": {deeply_nested(600)}}}]', id="nested-600-levels"),
    ],
)
async def test_presence_data_another_wire_format_cannot_carry_is_nacked(raw: RawClients, emulator, presence):
    bystander = await Bystander.start(raw)
    socket, _ = await raw.connect(client_id="mallory")
    nack = await publish_text(socket, f'{{"action": 14, "channel": "room", "msgSerial": 0, "presence": {presence}}}')
    assert nack["error"]["code"] == 40013
    channel = emulator.world.channels.get("room")
    assert channel is None or not channel.presence.members
    await bystander.check()


@pytest.mark.parametrize("action", [{}, [2], "2", None, 2.0], ids=["object", "array", "string", "null", "float"])
async def test_presence_action_of_the_wrong_type_is_nacked_with_40000(raw: RawClients, action):
    bystander = await Bystander.start(raw)
    socket, _ = await raw.connect(client_id="mallory")
    await socket.send({"action": PRESENCE, "channel": "room", "msgSerial": 0, "presence": [{"action": action}]})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40000
    await socket.send({"action": PRESENCE, "channel": "room", "msgSerial": 1, "presence": [{"action": ENTER}]})
    assert (await socket.receive_action(ACK))["msgSerial"] == 1
    await bystander.check()


@pytest.mark.parametrize("rewind", ["9" * 5000, "²", "²s", "1" * 10, "-1", "1d"])
async def test_unusable_rewind_fails_the_attach_with_40003(raw: RawClients, rewind):
    bystander = await Bystander.start(raw)
    socket, _ = await raw.connect(client_id="mallory")
    await socket.send({"action": ATTACH, "channel": "room", "params": {"rewind": rewind}})
    error = await socket.receive_action(ERROR)
    assert (error["channel"], error["error"]["code"]) == ("room", 40003)
    await socket.send({"action": ATTACH, "channel": "room", "params": {"rewind": "1"}})
    assert (await socket.receive_action(ATTACHED))["channel"] == "room"
    await bystander.check()


@pytest.mark.parametrize("serial", ["²" * 16, "١" * 16, "x" * 16, "9" * 5000])
async def test_channel_serial_that_is_not_one_of_ours_attaches_at_the_head_with_90003(raw: RawClients, serial):
    bystander = await Bystander.start(raw)
    socket, _ = await raw.connect(client_id="mallory")
    await socket.send({"action": ATTACH, "channel": "room", "channelSerial": serial})
    attached = await socket.receive_action(ATTACHED)
    assert attached["error"]["code"] == 90003
    await bystander.check()


async def test_rest_publish_with_a_lone_surrogate_name_gets_400_and_is_not_stored(raw: RawClients, emulator):
    bystander = await Bystander.start(raw)
    session = await raw.http()
    headers = {"Authorization": f"Basic {base64.b64encode(FAKE_KEY.encode()).decode()}"}
    body = '{"name": "\\ud800", "data": "x"}'
    async with session.post(
        f"{emulator.url}/channels/room/messages", data=body, headers={**headers, "Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 40013
    async with session.get(f"{emulator.url}/channels/room/messages", headers=headers) as response:
        assert await response.json() == []
    await bystander.check()


async def post_token_request(raw: RawClients, emulator, body: dict):
    session = await raw.http()
    key_name = FAKE_KEY.split(":")[0]
    return await session.post(f"{emulator.url}/keys/{key_name}/requestToken", json=body)


def signed(**fields) -> dict:
    request = {
        "keyName": FAKE_KEY.split(":")[0],
        "timestamp": now_ms(),
        "nonce": secrets.token_hex(16),
        **fields,
    }
    request["mac"] = sign(request, FAKE_KEY.split(":", 1)[1])
    return request


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"ttl": "nan"}, id="ttl-nan"),
        pytest.param({"ttl": "inf"}, id="ttl-infinite"),
        pytest.param({"timestamp": "nan"}, id="timestamp-nan"),
        pytest.param({"timestamp": "-inf"}, id="timestamp-infinite"),
    ],
)
async def test_token_request_numbers_that_are_not_finite_get_40003(raw: RawClients, emulator, fields):
    bystander = await Bystander.start(raw)
    async with await post_token_request(raw, emulator, signed(**fields)) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 40003
    await bystander.check()


async def test_token_request_with_a_lone_surrogate_client_id_gets_40012(raw: RawClients, emulator):
    bystander = await Bystander.start(raw)
    async with await post_token_request(raw, emulator, signed(clientId="\ud800")) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 40012
    await bystander.check()


async def test_fan_out_carries_on_past_a_subscriber_that_fails(raw: RawClients, emulator, caplog):
    bystander = await Bystander.start(raw)
    subscribers = []
    for name in ("first", "broken", "last"):
        socket, connected = await raw.connect(client_id=name)
        await socket.send({"action": ATTACH, "channel": "room"})
        await socket.receive_action(ATTACHED)
        subscribers.append((socket, connected["connectionId"]))
    broken = emulator.world.connections[subscribers[1][1]]

    def fail(message, frames=None):
        raise RuntimeError("this subscriber's socket is broken")

    broken.send = fail
    publisher, _ = await raw.connect(client_id="publisher")
    await publisher.send({"action": MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"data": "hello"}]})
    await publisher.receive_action(ACK)
    for socket, _ in (subscribers[0], subscribers[2]):
        assert [item["data"] for item in (await socket.receive_action(MESSAGE))["messages"]] == ["hello"]
    assert any("could not queue" in record.message for record in caplog.records)
    await bystander.check()
