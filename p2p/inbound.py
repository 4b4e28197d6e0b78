"""What a session's channels hand to ably-python, cut down to what peers send before ably-python acts on it.

site/p2p.inbound.js, for the Python peer (the same rule, held to the same vectors: tests/protocol/vectors/
inbound.json; docs/protocol.md, "What a peer receives"). Any player with a token for the session can publish a
message or enter presence with any field, and Ably is not documented to refuse odd ones. ably-python decodes them
before the peer sees anything, and some make it raise: a presence member whose `json` data does not parse ends the
presence SYNC, so the peer never finishes joining; `extras.delta` starts a re-attach, `vcdiff` and extras that
are not an object raise too. Peers send one thing: a JSON object as data, published as a string with
`encoding: 'json'`. So each message and presence entry keeps only that (decoded here) and the fields Ably stamps.

guard_channel() puts this in front of `RealtimeChannel._on_message`, an ably-python internal (every protocol message
for a channel goes through it); tests/p2p/test_inbound.py fails if ably-python stops calling it.
"""

import json
from collections.abc import Callable
from typing import Any

from .rules import is_index

# 9999-12-31T23:59:59.999Z: ably-python turns presence timestamps into datetimes, which end there.
MAX_TIMESTAMP = 253_402_300_799_999


def _is_string(value: object) -> bool:
    return isinstance(value, str)


# The fields an entry keeps when their value passes the test (`data` and `encoding`: see _payload_of).
KEPT_FIELDS: dict[str, Callable[[object], bool]] = {
    "id": _is_string,
    "clientId": _is_string,
    "connectionId": _is_string,
    "name": _is_string,
    "serial": _is_string,
    "timestamp": lambda value: is_index(value) and value <= MAX_TIMESTAMP,  # type: ignore[operator]
    "action": is_index,
}


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # as JavaScript's JSON.parse refuses NaN and Infinity


def _payload_of(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON object a `json`-encoded string holds, or None for anything else."""
    data = entry.get("data")
    if entry.get("encoding") != "json" or not isinstance(data, str):
        return None
    try:
        payload = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def keep_what_peers_send(entry: dict[str, Any]) -> dict[str, Any]:
    """Cut one message or presence entry down, in place, to what peers send and Ably stamps (p2p.inbound.js)."""
    payload = _payload_of(entry)
    for key in list(entry):
        test = KEPT_FIELDS.get(key)
        if test is None or not test(entry[key]):
            del entry[key]
    if payload is not None:
        entry["data"] = payload
    return entry


def filter_inbound(protocol_message: dict[str, Any]) -> dict[str, Any]:
    """Apply keep_what_peers_send to every message and presence entry of one protocol message (in place)."""
    for field in ("messages", "presence"):
        entries = protocol_message.get(field)
        if isinstance(entries, list):
            for entry in entries:
                keep_what_peers_send(entry)
    return protocol_message


def guard_channel(channel: Any) -> Any:
    """Make an ably-python RealtimeChannel filter what it receives (filter_inbound) first; call it before attaching.

    :raises RuntimeError: when ably-python no longer has the method the guard relies on.
    """
    on_message = getattr(channel, "_on_message", None)
    if not callable(on_message):
        raise RuntimeError("ably-python's RealtimeChannel has no _on_message: p2p/inbound.py needs updating")
    channel._on_message = lambda protocol_message: on_message(filter_inbound(protocol_message))
    return channel
