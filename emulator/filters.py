"""Subscription filters: derived channels `[filter=<base64 JMESPath>]name` receive the base channel's matching messages.

ably-js `channels.getDerived(name, {filter})` attaches to such a name. As on Ably, the expression sees a message's
`name` and `headers` (`extras.headers`); a derived channel has no history or presence of its own. What passes is
sent on by channels.py, with the rest of a publish's fan-out.
"""

import base64
import binascii
import functools

import jmespath
from jmespath.exceptions import JMESPathError

from . import errors

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
