"""The realtime wire format: action and flag numbers, and ProtocolMessage encoding in JSON or msgpack."""

import base64
import json
from collections.abc import Iterable, Iterator
from enum import IntEnum

import msgpack

from . import errors


class Action(IntEnum):
    """ProtocolMessage actions (spec TR2)."""

    HEARTBEAT = 0
    ACK = 1
    NACK = 2
    CONNECT = 3
    CONNECTED = 4
    DISCONNECT = 5
    DISCONNECTED = 6
    CLOSE = 7
    CLOSED = 8
    ERROR = 9
    ATTACH = 10
    ATTACHED = 11
    DETACH = 12
    DETACHED = 13
    PRESENCE = 14
    MESSAGE = 15
    SYNC = 16
    AUTH = 17
    ACTIVATE = 18
    OBJECT = 19
    OBJECT_SYNC = 20
    ANNOTATION = 21


class Flag:
    """ProtocolMessage flag bits (spec TR3) and the channel-mode masks built from them."""

    HAS_PRESENCE = 1 << 0
    HAS_BACKLOG = 1 << 1
    RESUMED = 1 << 2
    ATTACH_RESUME = 1 << 5
    PRESENCE = 1 << 16
    PUBLISH = 1 << 17
    SUBSCRIBE = 1 << 18
    PRESENCE_SUBSCRIBE = 1 << 19
    ANNOTATION_PUBLISH = 1 << 21
    ANNOTATION_SUBSCRIBE = 1 << 22
    OBJECT_SUBSCRIBE = 1 << 24
    OBJECT_PUBLISH = 1 << 25
    ALL_MODES = 0x36F0000
    # What Ably grants an ATTACH that names no modes (ably-js channel.test.js `attachWithInvalidChannelParams`).
    DEFAULT_MODES = PRESENCE | PUBLISH | SUBSCRIBE | PRESENCE_SUBSCRIBE | ANNOTATION_PUBLISH


# Channel mode names as the `modes` channel param spells them (comma-separated), and their flags.
MODE_FLAGS = {
    "presence": Flag.PRESENCE,
    "publish": Flag.PUBLISH,
    "subscribe": Flag.SUBSCRIBE,
    "presence_subscribe": Flag.PRESENCE_SUBSCRIBE,
    "annotation_publish": Flag.ANNOTATION_PUBLISH,
    "annotation_subscribe": Flag.ANNOTATION_SUBSCRIBE,
    "object_subscribe": Flag.OBJECT_SUBSCRIBE,
    "object_publish": Flag.OBJECT_PUBLISH,
}


class MessageAction(IntEnum):
    """Message actions (spec TM5): what a message is to the message it names by `serial`."""

    CREATE = 0
    UPDATE = 1
    DELETE = 2
    META = 3
    SUMMARY = 4
    APPEND = 5


class AnnotationAction(IntEnum):
    """Annotation actions (spec TAN2b)."""

    CREATE = 0
    DELETE = 1


class PresenceAction(IntEnum):
    """PresenceMessage actions."""

    ABSENT = 0
    PRESENT = 1
    ENTER = 2
    LEAVE = 3
    UPDATE = 4


JSON = "json"
MSGPACK = "msgpack"
FORMATS = (JSON, MSGPACK)
# What a message's or presence member's `data` may be, in either wire format.
PAYLOAD_TYPES = (str, bytes, dict, list, type(None))
# Fields of a stored message that `message_size` leaves out, and an allowance for the rest of its record (what a
# small message measured in memory: its dict, timestamp, history entry and place in the retention order).
STORED_TEXT = ("id", "connectionId", "encoding", "serial")
RECORD_ALLOWANCE = 700
# Deepest nesting of objects and arrays in a stored message (Ably publishes no figure; the encoders fail near 500).
MAX_NESTING = 100


def decode(frame: str | bytes) -> dict:
    """Parse one inbound frame (text → JSON, binary → msgpack) into a ProtocolMessage dict.

    :raises AblyError: 40000 when the frame is not a well-formed object.
    """
    try:
        message = parse_json(frame) if isinstance(frame, str) else msgpack.unpackb(frame, raw=False)
    except Exception as exc:  # json and msgpack raise several unrelated types for malformed input
        raise errors.BAD_REQUEST(f"Unable to decode protocol message: {exc}") from None
    if not isinstance(message, dict):
        raise errors.BAD_REQUEST("Protocol message must be an object")
    return message


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str | bytes):
    """`json.loads` without NaN/Infinity, which JavaScript peers could not parse back."""
    return json.loads(text, parse_constant=_refuse_constant)


def require_portable(value, what: str) -> None:
    """Refuse what one wire format could not carry to a peer of the other, so no stored message can fail a peer.

    Checked: JSON (NaN, binary inside objects), msgpack (lone surrogates, integers beyond 64 bits) and nesting
    deeper than MAX_NESTING, which either encoder could fail on once the frame's own levels are added.

    :raises AblyError: 40013.
    """
    if nesting(value) > MAX_NESTING:
        raise errors.INVALID_MESSAGE_DATA(f"{what} is nested more than {MAX_NESTING} levels deep")
    try:
        json.dumps(for_json(value), allow_nan=False)
        msgpack.packb(value, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:  # UnicodeEncodeError is a ValueError
        raise errors.INVALID_MESSAGE_DATA(f"{what} cannot be carried by both wire formats: {exc}") from None


def nesting(value) -> int:
    """How many levels of objects and arrays `value` has (0 for a scalar); stops counting past MAX_NESTING."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_NESTING:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def encode(message: dict, fmt: str) -> str | bytes:
    """Serialise an outbound ProtocolMessage for a connection speaking `fmt`."""
    if fmt == MSGPACK:
        return msgpack.packb(message, use_bin_type=True)
    return json.dumps(for_json(message), separators=(",", ":"))


# The list a MESSAGE or PRESENCE carries, which a frame too large is split along (SYNC pages are sized as made).
LIST_FIELDS: dict[object, str] = {Action.MESSAGE: "messages", Action.PRESENCE: "presence"}
# Room left in a frame for what changes from part to part (a longer cursor, msgpack's array header).
FRAME_SLACK = 32


def encode_frames(message: dict, fmt: str, limit: int) -> list[str | bytes]:
    """Serialise `message` as one frame, or as several of at most `limit` bytes when it is larger (maxFrameSize).

    A MESSAGE or PRESENCE is split along its list into consecutive runs, each part a ProtocolMessage of its own (a
    MESSAGE part's `channelSerial` is its last message's serial, so a resume starts after what the client has).
    A single message larger than `limit` on its own still goes in a frame of its own.
    """
    frame = encode(message, fmt)
    field = LIST_FIELDS.get(message.get("action"))
    if len(frame) <= limit or field is None:
        return [frame]
    parts = [
        _part(message, field, run)
        for run in fitting_runs(message.get(field) or [], fmt, limit - envelope_size(message, field, fmt))
    ]
    return [encode(part, fmt) for part in parts] if len(parts) > 1 else [frame]


def _part(message: dict, field: str, run: list[dict]) -> dict:
    part = {**message, field: run}
    if message.get("action") == Action.MESSAGE and "serial" in run[-1]:
        part["channelSerial"] = run[-1]["serial"]
    return part


def envelope_size(message: dict, field: str, fmt: str) -> int:
    """The bytes of `message` without the items of its list, plus the slack a part may need."""
    return len(encode({**message, field: []}, fmt)) + FRAME_SLACK


def fitting_runs(items: Iterable[dict], fmt: str, budget: int) -> Iterator[list[dict]]:
    """Consecutive runs of `items` whose encodings in `fmt`, with a separator each, add up to at most `budget`.

    Lazy, so that a long list is measured only as far as it is sent. An item over the budget alone is a run.
    """
    run: list[dict] = []
    size = 0
    for item in items:
        item_size = len(encode(item, fmt)) + 1
        if run and size + item_size > budget:
            yield run
            run, size = [], 0
        run.append(item)
        size += item_size
    if run:
        yield run


def encode_body(body, fmt: str) -> bytes:
    """Serialise a REST response body."""
    encoded = encode(body, fmt)
    return encoded.encode() if isinstance(encoded, str) else encoded


def for_json(value):
    """Replace binary message payloads with base64 text and a `base64` encoding step, as Ably does for JSON."""
    if isinstance(value, dict):
        if isinstance(value.get("data"), (bytes, bytearray)):
            value = dict(value)
            value["data"] = base64.b64encode(value["data"]).decode()
            encoding = value.get("encoding")
            value["encoding"] = f"{encoding}/base64" if encoding else "base64"
        for key in ("messages", "presence", "response"):
            if isinstance(value.get(key), list):
                value = {**value, key: [for_json(item) for item in value[key]]}
        return value
    if isinstance(value, list):
        return [for_json(item) for item in value]
    return value


def message_size(message: dict) -> int:
    """The size Ably bills and limits: name, clientId, data and extras, in bytes."""
    size = 0
    for key in ("name", "clientId", "data"):
        value = message.get(key)
        if isinstance(value, str):
            size += len(value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, (bytes, bytearray)):
            size += len(value)
        elif isinstance(value, (dict, list)):
            size += _json_bytes(value)
    if message.get("extras") is not None:
        size += _json_bytes(message["extras"])
    return size


def stored_size(message: dict) -> int:
    """What a stored message counts for against the history caps: its size as Ably measures it (`message_size`)
    plus the other fields it carries (id, connectionId, encoding, serial) and a fixed allowance for the record."""
    extra = sum(_value_bytes(message[key]) for key in STORED_TEXT if message.get(key) is not None)
    return message_size(message) + extra + RECORD_ALLOWANCE


def _value_bytes(value) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return _json_bytes(for_json(value))


def _json_bytes(value) -> int:
    """Structured data counts as its compact JSON text, as the SDKs send it (`encoding: json`)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def without_none(message: dict) -> dict:
    """Drop empty fields (ably-js tolerates null, but Ably omits them)."""
    return {key: value for key, value in message.items() if value is not None}
