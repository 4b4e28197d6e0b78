"""Message logs: serial numbering, retention (age, count and bytes, per channel and across all channels), resume
replay, rewind and history queries."""

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import errors
from .protocol import stored_size

SERIAL_WIDTH = 16
REWIND_COUNT = re.compile(r"[0-9]{1,9}")
REWIND_DURATION = re.compile(r"([0-9]{1,9})([smh])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
# The order of all stores is compacted once forgotten entries outnumber the stored ones (and there are this many).
COMPACT_AFTER = 1024


def format_serial(number: int) -> str:
    """Serials are zero-padded counters: unique, ordered as strings and as numbers."""
    return f"{number:0{SERIAL_WIDTH}d}"


def parse_serial(text) -> int | None:
    """The counter inside a serial, or None when the text is not one of ours."""
    if isinstance(text, str) and len(text) == SERIAL_WIDTH and text.isascii() and text.isdigit():
        return int(text)
    return None


@dataclass
class Entry:
    """One stored message with the serial it was assigned and the bytes it counts for."""

    serial: int
    timestamp: int
    message: dict
    monotonic: float
    size: int


class Retention:
    """What every log of a world keeps together: at most `most` messages and `most_bytes` bytes, oldest dropped
    first whatever their channel, none older than `ttl` seconds.

    It keeps the order in which messages were stored across all logs as `(log, serial)` pairs; a pair whose message
    its log already dropped (its own caps) is skipped, and the order is compacted when such pairs pile up.
    """

    def __init__(self, ttl: float, most: int, most_bytes: int):
        self.ttl = ttl
        self.most = most
        self.most_bytes = most_bytes
        self.count = 0
        self.bytes = 0
        self.order: deque[tuple[MessageLog, int]] = deque()
        self.forgotten = 0

    def stored(self, log: "MessageLog", entry: Entry) -> None:
        self.order.append((log, entry.serial))
        self.count += 1
        self.bytes += entry.size
        self.trim()

    def dropped(self, entry: Entry) -> None:
        """A log dropped `entry` on its own (its age or its caps): its pair in the order is now stale."""
        self.count -= 1
        self.bytes -= entry.size
        self.forgotten += 1
        if self.forgotten > max(COMPACT_AFTER, self.count):
            self.order = deque(pair for pair in self.order if pair[0].holds(pair[1]))
            self.forgotten = 0

    def trim(self) -> None:
        """Drop the oldest messages of all logs until the totals are within the caps and none is past its age."""
        horizon = time.monotonic() - self.ttl
        while self.order:
            log, serial = self.order[0]
            entry = log.oldest()
            if entry is None or entry.serial != serial:
                self.order.popleft()
                self.forgotten -= 1
                continue
            if entry.monotonic >= horizon and self.count <= self.most and self.bytes <= self.most_bytes:
                return
            self.order.popleft()
            log.drop_oldest(counted_stale=False)


class MessageLog:
    """Messages of one channel, oldest first: each kept for the retention's age, at most `capacity` of them and
    `capacity_bytes` of them (`protocol.stored_size`), and within the world's totals (`retention`).

    `on_drop` is told of each message the log forgets (the channel's idempotency ids go with their messages).
    """

    def __init__(
        self,
        retention: Retention,
        capacity: int,
        capacity_bytes: int,
        on_drop: Callable[[dict], None] | None = None,
    ):
        self.retention = retention
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.on_drop = on_drop
        self.entries: deque[Entry] = deque()
        self.bytes = 0
        self.head = 0

    def append(self, message: dict, keep_serial: bool = False) -> dict:
        """Store `message` at the next serial and return it; the serial is written into it unless `keep_serial`
        (a new version of a message keeps the serial of the message it changes, its place is `next_serial`)."""
        self.prune()
        self.head += 1
        if not keep_serial:
            message["serial"] = format_serial(self.head)
        entry = Entry(self.head, message["timestamp"], message, time.monotonic(), stored_size(message))
        self.entries.append(entry)
        self.bytes += entry.size
        while len(self.entries) > self.capacity or (self.bytes > self.capacity_bytes and len(self.entries) > 1):
            self.drop_oldest()
        self.retention.stored(self, entry)
        return message

    def oldest(self) -> Entry | None:
        return self.entries[0] if self.entries else None

    def holds(self, serial: int) -> bool:
        """Whether the message with `serial` is still stored."""
        return bool(self.entries) and self.entries[0].serial <= serial <= self.entries[-1].serial

    def drop_oldest(self, counted_stale: bool = True) -> None:
        """Forget the oldest message; `counted_stale` when the retention's order still lists it."""
        entry = self.entries.popleft()
        self.bytes -= entry.size
        if counted_stale:
            self.retention.dropped(entry)
        else:
            self.retention.count -= 1
            self.retention.bytes -= entry.size
        if self.on_drop is not None:
            self.on_drop(entry.message)

    def prune(self) -> None:
        """Forget messages older than the retention period."""
        horizon = time.monotonic() - self.retention.ttl
        while self.entries and self.entries[0].monotonic < horizon:
            self.drop_oldest()

    @property
    def head_serial(self) -> str:
        return format_serial(self.head)

    @property
    def next_serial(self) -> str:
        """The serial the next message stored will have."""
        return format_serial(self.head + 1)

    def find(self, serial) -> dict | None:
        """The message stored at `serial` (a serial's text), or None when it is not one of ours or is forgotten."""
        self.prune()
        number = parse_serial(serial)
        if number is None or not self.holds(number):
            return None
        return self.entries[number - self.entries[0].serial].message

    def range_after(self, serial: int) -> range | None:
        """The serials stored after `serial` (to replay on resume), or None when some of them are already forgotten."""
        self.prune()
        first = self.entries[0].serial if self.entries else self.head + 1
        if serial > self.head or serial < first - 1:
            return None
        return range(serial + 1, self.head + 1)

    def messages(self, serials: range) -> Iterator[dict]:
        """The messages of `serials` still stored when each is reached (for replays sent as the socket drains)."""
        for serial in serials:
            if self.holds(serial):
                yield self.entries[serial - self.entries[0].serial].message

    def rewind(self, value: str, limit: int, counted: Callable[[dict], bool] | None = None) -> range:
        """The serials selected by a `rewind` param: a count (`"10"`) or a duration (`"15s"`, `"1m"`, `"2h"`).

        Only the messages `counted` selects count towards the number (all by default); the range runs from the
        first of them to the head.

        :raises AblyError: 40003 when the value is neither.
        """
        self.prune()
        value = value.strip() if isinstance(value, str) else value
        if isinstance(value, str) and REWIND_COUNT.fullmatch(value):
            most, since_ms = min(int(value), limit), None
        elif match := REWIND_DURATION.fullmatch(value) if isinstance(value, str) else None:
            most, since_ms = limit, time.time() * 1000 - int(match[1]) * UNIT_SECONDS[match[2]] * 1000
        else:
            raise errors.INVALID_PARAMETER(
                f"Invalid rewind value {value[:40]!r}: use a count or a duration like 30s, 2m, 1h (up to 9 digits)"
            )
        start, count = self.head + 1, 0
        for entry in reversed(self.entries):
            if count == most or (since_ms is not None and entry.timestamp < since_ms):
                break
            if counted is None or counted(entry.message):
                start, count = entry.serial, count + 1
        return range(start, self.head + 1)

    def query(
        self,
        start: int | None,
        end: int | None,
        forwards: bool,
        limit: int,
        cursor: int | None,
        shown: Callable[[dict], dict | None] | None = None,
    ) -> tuple[list[dict], int | None]:
        """One page of history and the cursor of the next page (None on the last page).

        `start`/`end` are inclusive millisecond bounds; `cursor` is the serial the next page starts beyond; `shown`
        gives what history shows of a stored message (None: nothing), the message itself by default.
        """
        self.prune()
        selected = [
            (entry, message)
            for entry in (self.entries if forwards else reversed(self.entries))
            if (start is None or entry.timestamp >= start)
            and (end is None or entry.timestamp <= end)
            and (cursor is None or (entry.serial > cursor if forwards else entry.serial < cursor))
            and (message := entry.message if shown is None else shown(entry.message)) is not None
        ]
        page = selected[:limit]
        next_cursor = page[-1][0].serial if len(selected) > limit else None
        return [message for _, message in page], next_cursor
