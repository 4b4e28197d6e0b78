"""Subscription filters: derived channels `[filter=<base64 JMESPath>]name` receive the base channel's matching messages.

ably-js `channels.getDerived(name, {filter})` attaches to such a name. As on Ably, the expression sees a message's
`name` and `headers` (`extras.headers`); a derived channel has no history or presence of its own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
from typing import TYPE_CHECKING

import jmespath
from jmespath.exceptions import JMESPathError

from . import errors
from .protocol import Flag

if TYPE_CHECKING:
    from .state import World

log = logging.getLogger(__name__)

PREFIX = "[filter="


def is_derived(name: str) -> bool:
    return name.startswith(PREFIX)


def base_of(name: str) -> str:
    """The base channel of a derived name; 40010 for a qualifier other than a valid filter.

    :raises AblyError: 40010.
    """
    qualifier, sep, base = name[1:].partition("]")
    if not sep or not qualifier.startswith("filter=") or not base:
        raise errors.INVALID_CHANNEL_NAME(f"Invalid channel name {name!r}: the only qualifier emulated is [filter=...]")
    _expression(qualifier.removeprefix("filter="))
    return base


@functools.lru_cache(maxsize=256)
def _expression(encoded: str):
    try:
        return jmespath.compile(base64.b64decode(encoded, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, JMESPathError) as exc:
        raise errors.INVALID_CHANNEL_NAME(f"Invalid filter expression: {exc}") from None


def matches(name: str, message: dict) -> bool:
    """Whether a stored message passes the filter of derived channel `name`."""
    extras = message.get("extras")
    headers = extras.get("headers") if isinstance(extras, dict) else None
    expression = _expression(name[len(PREFIX) : name.index("]")])
    try:
        return expression.search({"name": message.get("name"), "headers": headers}) is True
    except JMESPathError:
        return False


def forward(world: World, base: str, frame: dict, skip) -> None:
    """After a MESSAGE frame went to channel `base`, send each derived channel the messages its filter passes."""
    for name in list(world.derived.get(base, ())):
        channel = world.channels.get(name)
        passed = [message for message in frame["messages"] if matches(name, message)]
        if channel is not None and passed:
            world.broadcast(
                channel,
                {**frame, "channel": name, "messages": passed, "channelSerial": passed[-1]["serial"]},
                Flag.SUBSCRIBE,
                "messages_delivered",
                len(passed),
                skip=skip,
            )
