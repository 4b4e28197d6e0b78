"""Message deltas (channel param `delta: vcdiff`, emulator/delta.py), as ably-python and ably-js decode them.

A delta subscriber receives every message intact, all but the first after attaching as a VCDIFF delta of the one
before; a client that asked for no deltas is unaffected; one that could not decode a delta re-attaches from the last
message it has (40018) and gets what followed, the first whole.
"""

import base64
import json

import vcdiff_decoder
from ably import AblyVCDiffDecoder
from ably.types.channeloptions import ChannelOptions

from .conftest import Inbox, connection_id, within

DELTAS = ChannelOptions(params={"delta": "vcdiff"})
RESUMED = 1 << 2
# What a game publishes: successive states of one object, then text and bytes.
PUBLISHED = [
    {"player": "alice", "score": 1, "board": ["x", "", "o"] * 20},
    {"player": "alice", "score": 2, "board": ["x", "", "o"] * 20},
    {"player": "bob", "score": 2, "board": ["x", "o", "o"] * 20},
    "héllo wörld ✓",
    "héllo wörld ✓✓",
    b"\x00\x01\x02\xff" * 16,
    b"\x00\x01\x02\xfe" * 16,
    {"player": "bob", "score": 3},
]


class CountingDecoder(AblyVCDiffDecoder):
    """ably-python's own decoder, counting the deltas it applies; it fails the first `failures` of them."""

    def __init__(self, failures: int = 0):
        super().__init__()
        self.calls = 0
        self.failures = failures

    def decode(self, delta: bytes, base: bytes) -> bytes:
        self.calls += 1
        if self.calls <= self.failures:
            raise ValueError("this decoder fails on purpose")
        return super().decode(delta, base)


async def subscribed(client, name: str, options: ChannelOptions | None = None) -> Inbox:
    channel = client.channels.get(name, options) if options else client.channels.get(name)
    inbox = Inbox()
    await within(channel.subscribe(inbox.add), what="the subscription")
    return inbox


async def publish_all(client, name: str) -> None:
    channel = client.channels.get(name)
    for data in PUBLISHED:
        await within(channel.publish("state", data), what="the publish")


def as_published(data):
    return bytes(data) if isinstance(data, bytearray) else data


async def test_a_delta_subscriber_receives_every_message_intact_all_but_the_first_as_deltas(clients):
    decoder = CountingDecoder()
    subscriber = await clients.realtime(vcdiff_decoder=decoder)
    inbox = await subscribed(subscriber, "game", DELTAS)
    await publish_all(await clients.realtime(), "game")
    received = await inbox.wait_for_count(len(PUBLISHED))
    assert [as_published(message.data) for message in received] == PUBLISHED
    assert decoder.calls == len(PUBLISHED) - 1


async def test_a_client_that_asked_for_no_deltas_is_unaffected(clients):
    delta_subscriber = await clients.realtime(vcdiff_decoder=CountingDecoder())
    await subscribed(delta_subscriber, "game", DELTAS)
    decoder = CountingDecoder()
    plain_inbox = await subscribed(await clients.realtime(vcdiff_decoder=decoder), "game")
    no_plugin_inbox = await subscribed(await clients.realtime(), "game")
    await publish_all(await clients.realtime(), "game")
    for inbox in (plain_inbox, no_plugin_inbox):
        received = await inbox.wait_for_count(len(PUBLISHED))
        assert [as_published(message.data) for message in received] == PUBLISHED
    assert decoder.calls == 0


async def test_a_client_that_cannot_decode_a_delta_recovers_and_receives_every_message(clients):
    decoder = CountingDecoder(failures=1)
    subscriber = await clients.realtime(vcdiff_decoder=decoder)
    channel = subscriber.channels.get("game", DELTAS)
    reasons = []
    channel.on("attaching", lambda change: reasons.append(change.reason.code if change.reason else None))
    inbox = await subscribed(subscriber, "game", DELTAS)
    await publish_all(await clients.realtime(), "game")
    received = await inbox.wait_for_count(len(PUBLISHED))
    assert [as_published(message.data) for message in received] == PUBLISHED
    assert 40018 in reasons


async def test_a_delta_subscriber_that_resumes_gets_the_first_message_after_it_whole_and_misses_nothing(
    clients, emulator
):
    decoder = CountingDecoder()
    subscriber = await clients.realtime(vcdiff_decoder=decoder)
    inbox = await subscribed(subscriber, "game", DELTAS)
    channel = (await clients.realtime()).channels.get("game")
    states = [{"turn": turn, "board": ["x", "o"] * 30} for turn in range(20)]
    for state in states[:10]:
        await within(channel.publish("state", state), what="the publish")
    await inbox.wait_for_count(10)
    emulator.controls.drop_connection(connection_id(subscriber))
    for state in states[10:]:
        await within(channel.publish("state", state), what="the publish")
    received = await inbox.wait_for_count(len(states), timeout=10)
    assert [message.data for message in received] == states
    assert len(inbox.items) == len(states)
    assert decoder.calls == len(states) - 2  # the first after attaching and the first after resuming are whole


async def attach(socket, name: str, **fields) -> dict:
    await socket.send({"action": 10, "channel": name, **fields})
    return await socket.receive_action(11)


async def publish(socket, name: str, serial: int, *messages: dict) -> None:
    """Publish on the socket; its echo is then read with the ACKs skipped."""
    await socket.send({"action": 15, "msgSerial": serial, "channel": name, "messages": list(messages)})


def as_json(data) -> dict:
    return {"data": json.dumps(data), "encoding": "json"}


def undo_delta(message: dict, base: bytes) -> bytes:
    return vcdiff_decoder.decode(base, base64.b64decode(message["data"]))


async def test_on_the_wire_each_delta_names_the_message_before_and_keeps_its_encoding(raw):
    socket, _ = await raw.connect()
    await attach(socket, "game", params={"delta": "vcdiff"})
    for serial, data in enumerate(PUBLISHED[:2]):
        await publish(socket, "game", serial, as_json(data))
    first = (await socket.receive_action(15))["messages"][0]
    second = (await socket.receive_action(15))["messages"][0]
    assert (first["encoding"], "extras" in first) == ("json", False)
    assert second["encoding"] == "json/utf-8/vcdiff/base64"
    assert second["extras"] == {"delta": {"from": first["id"], "format": "vcdiff"}}
    assert json.loads(undo_delta(second, first["data"].encode())) == PUBLISHED[1]


async def test_a_reattach_from_the_last_message_decoded_replays_the_rest_the_first_whole(raw):
    socket, _ = await raw.connect()
    await attach(socket, "game", params={"delta": "vcdiff"})
    for serial, data in enumerate(PUBLISHED[:3]):
        await publish(socket, "game", serial, as_json(data))
    frames = [await socket.receive_action(15) for _ in range(3)]
    attached = await attach(socket, "game", params={"delta": "vcdiff"}, channelSerial=frames[0]["channelSerial"])
    assert attached["flags"] & RESUMED
    replayed = [(await socket.receive_action(15))["messages"][0] for _ in range(2)]
    assert [message["id"] for message in replayed] == [frame["messages"][0]["id"] for frame in frames[1:]]
    assert (replayed[0]["encoding"], "extras" in replayed[0]) == ("json", False)
    assert replayed[1]["extras"]["delta"]["from"] == replayed[0]["id"]
    assert json.loads(undo_delta(replayed[1], replayed[0]["data"].encode())) == PUBLISHED[2]


async def test_a_rewind_replays_the_first_message_whole_and_the_rest_as_deltas(raw):
    publisher, _ = await raw.connect()
    await publish(publisher, "game", 0, *(as_json(data) for data in PUBLISHED[:3]))
    await publisher.receive_action(1)
    socket, _ = await raw.connect()
    await attach(socket, "game", params={"delta": "vcdiff", "rewind": "3"})
    replayed = [(await socket.receive_action(15))["messages"][0] for _ in range(3)]
    assert [message.get("extras", {}).get("delta", {}).get("from") for message in replayed] == [
        None,
        replayed[0]["id"],
        replayed[1]["id"],
    ]


async def test_in_a_frame_of_several_messages_only_the_first_is_a_delta(raw):
    # ably-python checks every delta of a frame against the previous frame's last message.
    socket, _ = await raw.connect()
    await attach(socket, "game", params={"delta": "vcdiff"})
    await publish(socket, "game", 0, as_json(PUBLISHED[0]))
    await publish(socket, "game", 1, *(as_json(data) for data in PUBLISHED[1:4]))
    await socket.receive_action(15)
    messages = (await socket.receive_action(15))["messages"]
    assert [message["encoding"] for message in messages] == ["json/utf-8/vcdiff/base64", "json", "json"]


async def test_data_no_sdk_can_hold_as_a_base_goes_whole_and_so_does_the_message_after_it(raw):
    socket, _ = await raw.connect()
    await attach(socket, "game", params={"delta": "vcdiff"})
    unusable = [
        {"data": {"not": "encoded"}},
        {"data": "c2VjcmV0", "encoding": "utf-8/cipher+aes-128-cbc/base64"},
        {"data": "{not json", "encoding": "json"},
        {"name": "no data"},
    ]
    for serial, message in enumerate([as_json(PUBLISHED[0])] + [m for u in unusable for m in (u, as_json("text"))]):
        await publish(socket, "game", serial, message)
    received = [(await socket.receive_action(15))["messages"][0] for _ in range(1 + 2 * len(unusable))]
    assert [message for message in received if "extras" in message] == []


async def test_msgpack_clients_get_the_delta_as_bytes(raw):
    socket, _ = await raw.connect(fmt="msgpack")
    await attach(socket, "game", params={"delta": "vcdiff"})
    await publish(socket, "game", 0, {"data": "héllo"})
    await publish(socket, "game", 1, {"data": "héllo wörld"})
    first = (await socket.receive_action(15))["messages"][0]
    second = (await socket.receive_action(15))["messages"][0]
    assert second["encoding"] == "utf-8/vcdiff"
    assert vcdiff_decoder.decode(first["data"].encode(), second["data"]).decode() == "héllo wörld"
