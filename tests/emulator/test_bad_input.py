"""Bad input of every class gets an Ably-style error, is logged, and disturbs no other connection."""

import logging

import msgpack
import pytest

from emulator import connection as connection_module

from .conftest import within

ERROR, NACK = 9, 2


async def assert_undisturbed(raw, bystander) -> None:
    """The server still answers an unrelated connection, and still accepts new ones."""
    await bystander.send({"action": 0, "id": "still-there"})
    assert await bystander.receive() == {"action": 0, "id": "still-there"}
    await raw.connect(client_id="newcomer")


FATAL_FRAMES = [
    pytest.param("text", "{not json", 40000, id="malformed-json"),
    pytest.param("binary", b"\xc1\xc1\xc1", 40000, id="malformed-msgpack"),
    pytest.param("binary", msgpack.packb([1, 2, 3]), 40000, id="msgpack-not-an-object"),
    pytest.param("text", "[1, 2, 3]", 40000, id="json-not-an-object"),
    pytest.param("text", '{"action": 99}', 40000, id="unknown-action"),
    pytest.param("text", '{"channel": "room"}', 40000, id="missing-action"),
    pytest.param("text", '{"action": "15"}', 40000, id="action-wrong-type"),
    pytest.param("text", '{"action": 15, "channel": "room", "messages": [{}]}', 40000, id="message-without-msgSerial"),
    pytest.param(
        "text",
        '{"action": 15, "channel": "room", "msgSerial": "0", "messages": [{}]}',
        40000,
        id="msgSerial-wrong-type",
    ),
    pytest.param("text", '{"action": 10}', 40010, id="attach-without-channel"),
    pytest.param("text", '{"action": 10, "channel": 7}', 40010, id="channel-wrong-type"),
    pytest.param("text", '{"action": 17, "auth": {}}', 40000, id="auth-without-token"),
    pytest.param(
        "text",
        '{"action": 15, "channel": "room", "msgSerial": 0, "messages": [{"extras": {"x": NaN}}]}',
        40000,
        id="json-NaN",
    ),
]


@pytest.mark.parametrize(("kind", "frame", "code"), FATAL_FRAMES)
async def test_unusable_frame_gets_a_connection_error_and_a_close(raw, kind, frame, code, caplog):
    bystander, _ = await raw.connect(client_id="bystander")
    socket, _ = await raw.connect(client_id="offender")
    caplog.set_level(logging.WARNING, logger="emulator")
    if kind == "text":
        await socket.ws.send_str(frame)
    else:
        await socket.ws.send_bytes(frame)
    error = await socket.receive_action(ERROR)
    assert "channel" not in error
    assert (error["error"]["code"], error["error"]["statusCode"]) == (code, 400)
    assert await socket.receive() is None
    assert any("refused frame" in record.message for record in caplog.records)
    await assert_undisturbed(raw, bystander)


NACKED_MESSAGES = [
    pytest.param({"channel": "room"}, 40000, id="no-messages"),
    pytest.param({"channel": "room", "messages": []}, 40000, id="empty-messages"),
    pytest.param({"channel": "room", "messages": ["text"]}, 40000, id="message-not-an-object"),
    pytest.param({"channel": "room", "messages": [{"data": 42}]}, 40013, id="data-a-number"),
    pytest.param({"channel": "room", "messages": [{"data": True}]}, 40013, id="data-a-boolean"),
    pytest.param({"channel": "room", "messages": [{"name": 5}]}, 40016, id="name-wrong-type"),
    pytest.param({"channel": "room", "messages": [{"clientId": "mallory"}]}, 40012, id="foreign-clientId"),
    pytest.param({"messages": [{}]}, 40010, id="no-channel"),
    pytest.param({"channel": "", "messages": [{}]}, 40010, id="empty-channel-name"),
    pytest.param({"channel": "[?rewind=1]room", "messages": [{}]}, 40010, id="qualified-channel-name"),
]


@pytest.mark.parametrize(("fields", "code"), NACKED_MESSAGES)
async def test_bad_publish_is_nacked_and_the_connection_carries_on(raw, fields, code):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 15, "msgSerial": 0, **fields})
    nack = await socket.receive_action(NACK)
    assert (nack["msgSerial"], nack["count"], nack["error"]["code"]) == (0, 1, code)
    await socket.send({"action": 15, "msgSerial": 1, "channel": "room", "messages": [{"name": "fine"}]})
    ack = await socket.receive_action(1)
    assert ack["msgSerial"] == 1
    assert len(ack["res"][0]["serials"]) == 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"blob": b"\x00"}, id="binary-inside-an-object"),
        pytest.param([float("inf")], id="infinite-number"),
        pytest.param({"n": float("nan")}, id="nan"),
    ],
)
async def test_msgpack_data_json_peers_could_not_read_is_nacked_with_40013(raw, data):
    socket, _ = await raw.connect(client_id="alice", fmt="msgpack")
    await socket.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": [{"data": data}]})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40013
    await socket.send({"action": 14, "msgSerial": 1, "channel": "room", "presence": [{"action": 2, "data": data}]})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40013


@pytest.mark.parametrize(
    "presence",
    [
        pytest.param([{"action": 1}], id="present-from-a-client"),
        pytest.param([{"action": "enter"}], id="action-wrong-type"),
        pytest.param([{"action": 2, "data": 3.5}], id="data-a-number"),
        pytest.param([], id="empty"),
    ],
)
async def test_bad_presence_is_nacked(raw, presence):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 14, "channel": "room", "msgSerial": 0, "presence": presence})
    assert (await socket.receive_action(NACK))["error"]["code"] in (40000, 40013)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"flags": "all"}, 40000, id="flags-wrong-type"),
        pytest.param({"params": ["rewind"]}, 40000, id="params-not-an-object"),
        pytest.param({"params": {"rewind": {"n": 5}}}, 40000, id="param-not-a-scalar"),
        pytest.param({"params": {"rewind": "forever"}}, 40003, id="bad-rewind"),
    ],
)
async def test_bad_attach_fails_only_that_channel(raw, fields, code):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 10, "channel": "room", **fields})
    error = await socket.receive_action(ERROR)
    assert (error["channel"], error["error"]["code"]) == ("room", code)
    await socket.send({"action": 10, "channel": "other"})
    assert (await socket.receive_action(11))["channel"] == "other"


@pytest.mark.emulator_config(max_frame_size=2048)
async def test_frame_over_max_frame_size_is_nacked_with_40009(raw):
    socket, _ = await raw.connect(client_id="alice")
    messages = [{"name": "n", "data": "x" * 100} for _ in range(30)]
    await socket.send({"action": 15, "msgSerial": 0, "channel": "room", "messages": messages})
    assert (await socket.receive_action(NACK))["error"]["code"] == 40009


@pytest.mark.emulator_config(max_frame_size=1024)
async def test_frame_beyond_the_hard_limit_closes_only_that_socket(raw):
    bystander, _ = await raw.connect(client_id="bystander")
    socket, _ = await raw.connect(client_id="alice")
    await socket.ws.send_str(
        '{"action":15,"msgSerial":0,"channel":"room","messages":[{"data":"' + "x" * (2 * 1024 * 1024) + '"}]}'
    )
    assert await socket.receive() is None
    assert socket.ws.close_code == 1009
    await assert_undisturbed(raw, bystander)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param({"format": "xml"}, 40000, id="unknown-format"),
        pytest.param({"v": "1.2"}, 40017, id="old-protocol-version"),
        pytest.param({"v": "latest"}, 40017, id="unparseable-protocol-version"),
    ],
)
async def test_bad_connect_parameters_get_an_error(raw, query, code):
    socket, first = await raw.connect(query, expect_connected=False)
    assert (first["action"], first["error"]["code"]) == (ERROR, code)
    assert await socket.receive() is None


async def test_detaching_a_channel_never_attached_is_harmless(raw):
    socket, _ = await raw.connect(client_id="alice")
    await socket.send({"action": 12, "channel": "never-attached"})
    assert await socket.receive_action(13) == {"action": 13, "channel": "never-attached"}


async def test_internal_error_in_a_handler_ends_only_that_connection(raw, emulator, monkeypatch, caplog):
    def explode(*args):
        raise RuntimeError("boom")

    bystander, _ = await raw.connect(client_id="bystander")
    socket, _ = await raw.connect(client_id="alice")
    monkeypatch.setattr(connection_module, "on_detach", explode)
    await socket.send({"action": 12, "channel": "room"})
    error = await within(socket.receive_action(ERROR))
    assert (error["error"]["code"], error["error"]["statusCode"]) == (50000, 500)
    assert any("internal error" in record.message for record in caplog.records)
    monkeypatch.undo()
    await assert_undisturbed(raw, bystander)
