"""What Ably is not documented to refuse reaches subscribers as published (COVERAGE.md, "What the emulator refuses
from a client, and why"): any `encoding`, `extras` of any JSON value, any client-supplied `id`. Only what Ably stamps
(clientId, connectionId, timestamp; presence ids) is the emulator's. Peers must cope with all of it
(docs/protocol.md, "What a peer receives"), so their tests need an emulator that delivers it."""

import pytest

from .conftest import RawClients

ACK, MESSAGE, PRESENCE = 1, 15, 14

AS_PUBLISHED = [
    pytest.param({"name": "w", "data": "AAAA", "encoding": "vcdiff"}, id="vcdiff"),
    pytest.param({"name": "w", "data": "{bad", "encoding": "json/base64/json"}, id="broken-chain"),
    pytest.param({"name": "w", "data": "x", "encoding": 5}, id="encoding-a-number"),
    pytest.param({"name": "w", "data": "x", "encoding": ["json"]}, id="encoding-a-list"),
    pytest.param({"name": "w", "extras": {"delta": {"from": "x:0:0", "format": "vcdiff"}}}, id="extras-delta"),
    pytest.param({"name": "w", "extras": "delta"}, id="extras-a-string"),
    pytest.param({"name": "w", "extras": [1, {"delta": 2}]}, id="extras-a-list"),
    pytest.param({"name": "w", "id": ""}, id="id-empty"),
    pytest.param({"name": "w", "id": 5}, id="id-a-number"),
    pytest.param({"name": "w", "id": {"of": "another peer"}}, id="id-an-object"),
]


async def attached(raw: RawClients, client_id: str, channel: str):
    socket, _ = await raw.connect(client_id=client_id)
    await socket.send({"action": 10, "channel": channel})
    await socket.receive_action(11)
    return socket


@pytest.mark.parametrize("fields", AS_PUBLISHED)
async def test_a_message_reaches_subscribers_as_published_with_the_fields_ably_stamps(raw, fields):
    subscriber = await attached(raw, "bob", "room")
    publisher, connected = await raw.connect(client_id="mallory")
    forged = {"connectionId": "someone-else", "timestamp": 1}

    await publisher.send({"action": MESSAGE, "msgSerial": 0, "channel": "room", "messages": [{**fields, **forged}]})

    assert (await publisher.receive_action(ACK))["msgSerial"] == 0
    [message] = (await subscriber.receive_action(MESSAGE))["messages"]
    assert {key: message[key] for key in fields} == fields
    assert (message["clientId"], message["connectionId"]) == ("mallory", connected["connectionId"])
    assert message["timestamp"] > 1


async def test_messages_with_the_same_id_that_is_not_a_string_are_all_delivered(raw):
    subscriber = await attached(raw, "bob", "room")
    publisher, _ = await raw.connect(client_id="mallory")

    for serial in range(2):
        messages = [{"name": f"w{serial}", "id": {"same": True}}]
        await publisher.send({"action": MESSAGE, "msgSerial": serial, "channel": "room", "messages": messages})
        await publisher.receive_action(ACK)

    names = [(await subscriber.receive_action(MESSAGE))["messages"][0]["name"] for _ in range(2)]
    assert names == ["w0", "w1"]


async def test_a_presence_entry_keeps_its_encoding_and_extras_and_gets_ablys_id_connection_and_time(raw):
    subscriber = await attached(raw, "bob", "room")
    member, connected = await raw.connect(client_id="mallory")
    entry = {"action": 2, "data": "{bad", "encoding": "json", "extras": "delta"}
    forged = {"id": "bob:0:0", "connectionId": "someone-else", "timestamp": 1}

    await member.send({"action": PRESENCE, "msgSerial": 0, "channel": "room", "presence": [{**entry, **forged}]})

    await member.receive_action(ACK)
    [event] = (await subscriber.receive_action(PRESENCE))["presence"]
    assert {key: event[key] for key in ("data", "encoding", "extras")} == {
        "data": "{bad",
        "encoding": "json",
        "extras": "delta",
    }
    assert event["connectionId"] == connected["connectionId"]
    assert event["id"].startswith(connected["connectionId"] + ":")
    assert event["timestamp"] > 1
