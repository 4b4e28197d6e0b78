"""Usage counters per channel and in total, counted the way Ably bills: every delivery to a subscriber counts."""

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
    """Counters; `max_message_bytes` keeps a maximum, the others a sum."""

    def __init__(self):
        self.total = _zero()
        self.channels: dict[str, dict[str, int]] = {}

    def add(self, channel: str | None, counter: str, amount: int) -> None:
        self.total[counter] += amount
        if channel is not None:
            self.channels.setdefault(channel, _zero())[counter] += amount

    def record_message_size(self, channel: str, size: int) -> None:
        for counters in (self.total, self.channels.setdefault(channel, _zero())):
            counters["max_message_bytes"] = max(counters["max_message_bytes"], size)

    def snapshot(self) -> dict:
        """`{"total": {...}, "channels": {name: {...}}}`, a copy safe to keep."""
        return {"total": dict(self.total), "channels": {name: dict(c) for name, c in self.channels.items()}}

    def reset(self) -> None:
        self.total = _zero()
        self.channels = {}
