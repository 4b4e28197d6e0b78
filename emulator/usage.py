"""An app's usage as Ably's stats API reports it: entries named as in Ably's app-stats schema (e.g.
`messages.inbound.realtime.messages.count`), kept minute by minute and summed into hours, days and months when read.

Only the leaves are kept (a transport and a message type); the totals Ably reports beside them (`all`) are derived
when a minute is read, so an explicit total (a fixture's) is never counted twice.
"""

import bisect
import calendar
from collections import defaultdict
from datetime import UTC, datetime

from .auth import now_ms

UNITS = ("minute", "hour", "day", "month")
FIXED_MS = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
# A week of minutes that saw traffic; the oldest minute goes first beyond it.
MAX_MINUTES = 10_080


def interval_start(ms: int, unit: str) -> int:
    """The start (ms since the epoch, UTC) of the `unit` interval that holds `ms`."""
    if unit in FIXED_MS:
        return ms - ms % FIXED_MS[unit]
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return calendar.timegm((moment.year, moment.month, 1, 0, 0, 0)) * 1000


def interval_end(start: int, unit: str) -> int:
    """The start of the next `unit` interval after the one starting at `start`."""
    if unit in FIXED_MS:
        return start + FIXED_MS[unit]
    moment = datetime.fromtimestamp(start / 1000, UTC)
    return start + calendar.monthrange(moment.year, moment.month)[1] * FIXED_MS["day"]


def _totals_of(key: str) -> tuple[str, ...]:
    """The totals a leaf entry counts towards, as Ably's schema nests them (`all` over transports and types)."""
    parts = key.split(".")
    if len(parts) == 5 and parts[0] == "messages" and parts[1] in ("inbound", "outbound") and "all" not in parts[2:4]:
        _, direction, transport, kind, field = parts
        return (
            f"messages.{direction}.{transport}.all.{field}",
            f"messages.{direction}.all.{kind}.{field}",
            f"messages.{direction}.all.all.{field}",
            f"messages.all.{kind}.{field}",
            f"messages.all.all.{field}",
        )
    if len(parts) == 4 and parts[:2] == ["messages", "persisted"] and parts[2] != "all":
        return (f"messages.persisted.all.{parts[3]}",)
    if len(parts) == 3 and parts[0] == "apiRequests" and parts[1] != "all":
        return (f"apiRequests.all.{parts[2]}",)
    return ()


def with_totals(leaves: dict[str, float]) -> dict[str, float]:
    """One minute's entries: its leaves and the totals derived from them (a total given explicitly wins)."""
    totals: dict[str, float] = defaultdict(int)
    for key, value in leaves.items():
        for total in _totals_of(key):
            totals[total] += value
    return {**totals, **leaves}


class _Interval:
    """Minutes' entries combined: peaks by maximum, minimums by minimum, means averaged, everything else summed."""

    def __init__(self) -> None:
        self.entries: dict[str, float] = {}
        self.means: dict[str, list[float]] = defaultdict(list)

    def add(self, entries: dict[str, float]) -> None:
        for key, value in entries.items():
            if key.endswith(".mean"):
                self.means[key].append(value)
            elif key not in self.entries:
                self.entries[key] = value
            elif key.endswith(".peak"):
                self.entries[key] = max(self.entries[key], value)
            elif key.endswith(".min"):
                self.entries[key] = min(self.entries[key], value)
            else:
                self.entries[key] += value

    def result(self) -> dict[str, float]:
        means = {key: sum(values) / len(values) for key, values in self.means.items()}
        return {**self.entries, **means}


class Usage:
    """One app's entries per minute (UTC), from its own traffic and from fixtures (`POST /stats`)."""

    def __init__(self, max_minutes: int = MAX_MINUTES):
        self.max_minutes = max_minutes
        self.minutes: dict[int, dict[str, float]] = {}
        self._starts: list[int] = []  # the keys of `minutes`, sorted

    def count(self, entry: str, amount: float, at: int | None = None) -> None:
        """Add `amount` to `entry` in the minute of `at` (now by default)."""
        if amount:
            record = self._minute(at)
            record[entry] = record.get(entry, 0) + amount

    def opened(self, resource: str, level: int) -> None:
        """One more of `resource` (`connections.all`, `channels`) opened now, with `level` of them open."""
        record = self._minute(None)
        record[f"{resource}.opened"] = record.get(f"{resource}.opened", 0) + 1
        record[f"{resource}.peak"] = max(record.get(f"{resource}.peak", 0), level)

    def merge(self, at: int, entries: dict[str, float]) -> None:
        """Combine `entries` into the minute of `at` as minutes combine (a fixture for that minute)."""
        combined = _Interval()
        combined.add(self._minute(at))
        combined.add(entries)
        self._minute(at).update(combined.result())

    def query(
        self, unit: str, start: int | None, end: int, forwards: bool, limit: int, cursor: int | None
    ) -> tuple[list[tuple[int, dict[str, float]]], int | None]:
        """Up to `limit` `unit` intervals from the one holding `start` to the one holding `end`, in order, each
        `(interval start, entries)`; and the start of the next interval (the next page's cursor), if any.

        Only intervals in which something was counted are listed. `cursor` is where the page starts.
        """
        low = interval_start(start, unit) if start is not None else None
        high = interval_end(interval_start(end, unit), unit)
        if cursor is not None and forwards:
            low = cursor if low is None else max(low, cursor)
        elif cursor is not None:
            high = min(high, interval_end(interval_start(cursor, unit), unit))
        first = bisect.bisect_left(self._starts, low) if low is not None else 0
        window = self._starts[first : bisect.bisect_left(self._starts, high)]
        page: list[tuple[int, _Interval]] = []
        for minute in window if forwards else reversed(window):
            begins = interval_start(minute, unit)
            if not page or page[-1][0] != begins:
                if len(page) == limit:
                    return [(begins_, interval.result()) for begins_, interval in page], begins
                page.append((begins, _Interval()))
            page[-1][1].add(with_totals(self.minutes[minute]))
        return [(begins_, interval.result()) for begins_, interval in page], None

    def _minute(self, at: int | None) -> dict[str, float]:
        start = interval_start(now_ms() if at is None else at, "minute")
        record = self.minutes.get(start)
        if record is None:
            record = self.minutes[start] = {}
            bisect.insort(self._starts, start)
            if len(self._starts) > self.max_minutes:
                del self.minutes[self._starts.pop(0)]
        return record
