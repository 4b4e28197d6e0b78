"""Message deltas: an attachment with the channel param `delta: vcdiff` receives each message's data as a VCDIFF delta
against the previous message's data it received on that channel.

Done per transport in the order frames are written, because the client's base is the last message it decoded: a
delta message carries `extras.delta = {from: <previous message id>, format: 'vcdiff'}` and its encoding with
`vcdiff` where the payload's bytes were (`utf-8/vcdiff`, `json/utf-8/vcdiff`, `vcdiff`; JSON peers add `/base64`),
as Ably sends them. A message is sent in full when the client may not hold its base (the first after ATTACHED, on
a resume or a re-attach), when either payload is not plain text or bytes the SDKs decode without a cipher or
plugin (objects, no data, encrypted or already delta-encoded payloads), when it changes another message (update,
delete, append, summary), and after the first of a frame (ably-python checks every delta against the previous
frame's last message). A client that cannot decode a delta re-attaches
from the last message it has (RTL18c, error 40018); `recovers` says when that ATTACH replays what follows it.
"""

import base64
import binascii
import functools
from dataclasses import dataclass

from . import vcdiff
from .protocol import Action, MessageAction, parse_json

FORMAT = "vcdiff"
# The encoding steps both SDKs always undo without options or plugins (a cipher needs the channel's key).
PLAIN_STEPS = frozenset({"json", "utf-8", "base64"})


def asks_for_deltas(params: dict | None) -> bool:
    """Whether ATTACH or ATTACHED params ask for deltas (Ably knows one format, vcdiff)."""
    return isinstance(params, dict) and params.get("delta") == FORMAT


def recovers(params: dict, channel_serial) -> bool:
    """Whether an ATTACH on a channel the connection is attached to is a delta client's recovery (RTL18c): it names
    the last message it decoded, so what followed is replayed from there, in full first."""
    return channel_serial is not None and asks_for_deltas(params)


@dataclass(frozen=True)
class Payload:
    """A message's data as the SDK holds it for the next delta (its outer base64 undone, text as UTF-8), and the
    encoding steps that remain to be undone after the delta is applied."""

    raw: bytes
    steps: str


@dataclass(frozen=True)
class Base:
    """The message a client's next delta is made against: its id (`extras.delta.from`) and its payload's bytes."""

    message_id: str
    raw: bytes


class DeltaStreams:
    """One transport's channels attached with deltas, and the base each client holds there.

    `holds` is asked as a frame is queued: frames for those channels are then queued as made and passed to
    `rewrite` as they are written, in order with everything else (replays included).
    """

    def __init__(self) -> None:
        self.queued: set[str] = set()  # delta channels, as of the frames queued so far
        self.bases: dict[str, Base | None] = {}  # delta channels as of the frames written so far, and their bases

    def holds(self, message: dict) -> bool:
        """Whether `message`, about to be queued, must reach `rewrite` as it is written."""
        channel = message.get("channel")
        if not isinstance(channel, str):
            return False
        held = channel in self.queued
        action = message.get("action")
        if action == Action.ATTACHED and asks_for_deltas(message.get("params")):
            self.queued.add(channel)
            return True
        if action in (Action.ATTACHED, Action.DETACHED, Action.ERROR):
            self.queued.discard(channel)
        return held

    def rewrite(self, message: dict) -> dict:
        """`message` as written to this client: a MESSAGE on a delta channel gets its first message as a delta."""
        channel, action = message.get("channel"), message.get("action")
        if not isinstance(channel, str):
            return message
        if action == Action.ATTACHED and asks_for_deltas(message.get("params")):
            self.bases[channel] = None
        elif action in (Action.ATTACHED, Action.DETACHED, Action.ERROR):
            self.bases.pop(channel, None)
        if action != Action.MESSAGE or channel not in self.bases or not message.get("messages"):
            return message
        messages = message["messages"]
        previous, self.bases[channel] = self.bases[channel], base_of(messages[-1])
        first = as_delta(messages[0], previous)
        return message if first is None else {**message, "messages": [first, *messages[1:]]}


def base_of(message: dict) -> Base | None:
    """What the client holds after decoding `message`, if a delta can be made against it."""
    payload = payload_of(message)
    message_id = message.get("id")
    if payload is None or not payload.raw or not isinstance(message_id, str) or not message_id:
        return None  # ably-python refuses an empty base
    return Base(message_id, payload.raw)


def as_delta(message: dict, base: Base | None) -> dict | None:
    """`message` with its data as a delta against `base`, or None when it must go in full."""
    payload = payload_of(message)
    extras = message.get("extras")
    if base is None or payload is None or message.get("action", MessageAction.CREATE) != MessageAction.CREATE:
        return None
    if extras is not None and not isinstance(extras, dict):
        return None
    return {
        **message,
        "data": _delta(base.raw, payload.raw),
        "encoding": f"{payload.steps}/{FORMAT}" if payload.steps else FORMAT,
        "extras": {**(extras or {}), "delta": {"from": base.message_id, "format": FORMAT}},
    }


@functools.lru_cache(maxsize=8)
def _delta(base: bytes, target: bytes) -> bytes:
    """The delta from `base` to `target`, made once for all the channel's delta subscribers (they share a base)."""
    return vcdiff.encode(base, target)


def payload_of(message: dict) -> Payload | None:
    """The bytes a delta is made of or against, if the message's data is text or bytes that decode plainly."""
    data, encoding = message.get("data"), message.get("encoding") or ""
    if not isinstance(encoding, str) or not isinstance(data, (str, bytes)):
        return None
    steps = encoding.split("/") if encoding else []
    if not set(steps) <= PLAIN_STEPS:
        return None
    if isinstance(data, bytes):
        raw = data
    elif steps and steps[-1] == "base64":
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
        steps = steps[:-1]
    else:
        raw, steps = data.encode("utf-8"), [*steps, "utf-8"]
    return Payload(raw, "/".join(steps)) if _decodes(raw, steps) else None


def _decodes(raw: bytes, steps: list[str]) -> bool:
    """Whether undoing `steps` (last first) on `raw` succeeds, as it must in the SDK for its base to be kept."""
    value: object = raw
    try:
        for step in reversed(steps):
            if step == "utf-8" and isinstance(value, bytes):
                value = value.decode("utf-8")
            elif step == "json" and isinstance(value, (str, bytes)):
                value = parse_json(value)
            elif step == "base64" and isinstance(value, (str, bytes)):
                value = base64.b64decode(value, validate=True)
            else:
                return False
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
    return True
