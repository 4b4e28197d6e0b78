"""A channel's message log: serial numbering, retention, resume replay, rewind and history queries."""

import re
import time
from collections import deque
from dataclasses import dataclass

from . import errors

SERIAL_WIDTH = 16
REWIND_COUNT = re.compile(r"[0-9]{1,9}")
REWIND_DURATION = re.compile(r"([0-9]{1,9})([smh])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


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
    """One stored message with the serial it was assigned."""

    serial: int
    timestamp: int
    message: dict
    monotonic: float


class MessageLog:
    """Messages of one channel, oldest first: each kept for `retention` seconds, and at most `capacity` of them."""

    def __init__(self, retention: float, capacity: int):
        self.retention = retention
        self.entries: deque[Entry] = deque(maxlen=capacity)
        self.head = 0

    def append(self, message: dict) -> dict:
        """Assign the next serial to `message` (in place), store it and return it."""
        self.prune()
        self.head += 1
        message["serial"] = format_serial(self.head)
        self.entries.append(Entry(self.head, message["timestamp"], message, time.monotonic()))
        return message

    def prune(self) -> None:
        """Forget messages older than the retention period."""
        horizon = time.monotonic() - self.retention
        while self.entries and self.entries[0].monotonic < horizon:
            self.entries.popleft()

    @property
    def head_serial(self) -> str:
        return format_serial(self.head)

    def after(self, serial: int) -> list[dict] | None:
        """Every stored message after `serial`, or None when some of them have already been forgotten."""
        self.prune()
        first = self.entries[0].serial if self.entries else self.head + 1
        if serial > self.head or serial < first - 1:
            return None
        return [entry.message for entry in self.entries if entry.serial > serial]

    def rewind(self, value: str, limit: int) -> list[dict]:
        """Messages selected by a `rewind` param: a count (`"10"`) or a duration (`"15s"`, `"1m"`, `"2h"`).

        :raises AblyError: 40003 when the value is neither.
        """
        self.prune()
        value = value.strip() if isinstance(value, str) else value
        if isinstance(value, str) and REWIND_COUNT.fullmatch(value):
            count = min(int(value), limit)
            return [entry.message for entry in list(self.entries)[-count:]] if count else []
        match = REWIND_DURATION.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise errors.INVALID_PARAMETER(
                f"Invalid rewind value {value[:40]!r}: use a count or a duration like 30s, 2m, 1h (up to 9 digits)"
            )
        since_ms = time.time() * 1000 - int(match[1]) * UNIT_SECONDS[match[2]] * 1000
        return [entry.message for entry in self.entries if entry.timestamp >= since_ms][-limit:]

    def query(
        self, start: int | None, end: int | None, forwards: bool, limit: int, cursor: int | None
    ) -> tuple[list[dict], int | None]:
        """One page of history and the cursor of the next page (None on the last page).

        `start`/`end` are inclusive millisecond bounds; `cursor` is the serial the next page starts beyond.
        """
        self.prune()
        selected = [
            entry
            for entry in (self.entries if forwards else reversed(self.entries))
            if (start is None or entry.timestamp >= start)
            and (end is None or entry.timestamp <= end)
            and (cursor is None or (entry.serial > cursor if forwards else entry.serial < cursor))
        ]
        page = selected[:limit]
        next_cursor = page[-1].serial if len(selected) > limit else None
        return [entry.message for entry in page], next_cursor
