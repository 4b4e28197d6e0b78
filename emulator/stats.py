"""Usage counters per channel and in total, counted the way Ably bills: every delivery to a subscriber counts."""

from collections.abc import Callable

COUNTERS = (
    "messages_published",
    "messages_delivered",
    "presence_published",
    "presence_delivered",
    "bytes_in",
    "bytes_out",
    "max_message_bytes",
)


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

    def _of(self, channel: str | None) -> dict[str, int] | None:
        if channel is None or not self.exists(channel):
            return None
        return self.channels.setdefault(channel, _zero())

    def add(self, channel: str | None, counter: str, amount: int) -> None:
        self.total[counter] += amount
        counters = self._of(channel)
        if counters is not None:
            counters[counter] += amount

    def record_message_size(self, channel: str, size: int) -> None:
        for counters in (self.total, self._of(channel)):
            if counters is not None:
                counters["max_message_bytes"] = max(counters["max_message_bytes"], size)

    def snapshot(self) -> dict:
        """`{"total": {...}, "channels": {name: {...}}}`, a copy safe to keep."""
        return {"total": dict(self.total), "channels": {name: dict(c) for name, c in self.channels.items()}}

    def reset(self) -> None:
        self.total = _zero()
        self.channels = {}
