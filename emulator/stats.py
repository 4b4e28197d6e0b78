"""Usage counters per channel and in total, counted the way Ably bills: every delivery to a subscriber counts.

The same traffic also goes, minute by minute, into the app's `Usage` (its stats API, `GET /stats`).
"""

from collections.abc import Callable

from .protocol import message_size
from .usage import Usage

COUNTERS = (
    "messages_published",
    "messages_delivered",
    "presence_published",
    "presence_delivered",
    "bytes_in",
    "bytes_out",
    "max_message_bytes",
)


PUBLISHED = {"messages": "messages_published", "presence": "presence_published"}
DELIVERED = {"messages": "messages_delivered", "presence": "presence_delivered"}


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


class Stats:
    """Counters; `max_message_bytes` keeps a maximum, the others a sum.

    Counts go by channel only for channels that `exists` (created after a capability check), so a client cannot
    make entries for arbitrary names; everything counts in the total.
    """

    def __init__(self, exists: Callable[[str], bool] = lambda name: True):
        self.exists = exists
        self.total = _zero()
        self.channels: dict[str, dict[str, int]] = {}
        self.refusals: dict[str, int] = {}
        self.usage = Usage()

    def _of(self, channel: str | None) -> dict[str, int] | None:
        if channel is None or not self.exists(channel):
            return None
        return self.channels.setdefault(channel, _zero())

    def add(self, channel: str | None, counter: str, amount: int) -> None:
        self.total[counter] += amount
        counters = self._of(channel)
        if counters is not None:
            counters[counter] += amount

    def published(self, channel: str, transport: str, kind: str, count: int, data: int) -> None:
        """Messages (`kind` "messages") or presence messages ("presence") a client sent over `transport` ("realtime"
        or "rest"), `data` bytes as maxMessageSize measures them."""
        self.add(channel, PUBLISHED[kind], count)
        self.usage.count(f"messages.inbound.{transport}.{kind}.count", count)
        self.usage.count(f"messages.inbound.{transport}.{kind}.data", data)

    def delivered(self, channel: str, copies: int, frame: dict) -> None:
        """A MESSAGE, PRESENCE or ANNOTATION frame queued to `copies` subscribers: each of its messages counts once
        per copy (annotations count as messages, as Ably bills them)."""
        kind = "presence" if "presence" in frame else "messages"
        items = frame.get("presence") or frame.get("messages") or frame.get("annotations") or []
        self.add(channel, DELIVERED[kind], copies * len(items))
        self.usage.count(f"messages.outbound.realtime.{kind}.count", copies * len(items))
        self.usage.count(f"messages.outbound.realtime.{kind}.data", copies * sum(map(message_size, items)))

    def record_message_size(self, channel: str, size: int) -> None:
        for counters in (self.total, self._of(channel)):
            if counters is not None:
                counters["max_message_bytes"] = max(counters["max_message_bytes"], size)

    def refused(self, code: int) -> None:
        """A rate limit refused something with error `code` (rate_limits.py)."""
        self.refusals[str(code)] = self.refusals.get(str(code), 0) + 1

    def snapshot(self) -> dict:
        """`{"total": {...}, "channels": {name: {...}}, "refusals": {code: n}}`, a copy safe to keep."""
        return {
            "total": dict(self.total),
            "channels": {name: dict(c) for name, c in self.channels.items()},
            "refusals": dict(self.refusals),
        }

    def reset(self) -> None:
        self.total = _zero()
        self.channels = {}
        self.refusals = {}
