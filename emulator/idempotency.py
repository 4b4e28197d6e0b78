"""Idempotent publishing: a message id a client supplied is published once per channel within Ably's window."""

import time
from collections import OrderedDict


class RecentIds:
    """Client-supplied message ids seen on one channel, with the serial each got; oldest forgotten first.

    Ably de-duplicates by id (the SDKs' idempotent REST publishing sends `<base>:<index>` ids, so a retried publish
    is not stored twice); entries live `window` seconds and there are at most `capacity` of them.
    """

    def __init__(self, window: float, capacity: int):
        self.window = window
        self.capacity = capacity
        self.seen: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def serial_of(self, message_id: str) -> str | None:
        """The serial of an earlier message with this id, if it is still remembered."""
        self._prune()
        entry = self.seen.get(message_id)
        return entry[0] if entry is not None else None

    def add(self, message_id: str, serial: str) -> None:
        self.seen[message_id] = (serial, time.monotonic())
        self.seen.move_to_end(message_id)
        while len(self.seen) > self.capacity:
            self.seen.popitem(last=False)

    def forget(self, message: dict) -> None:
        """Forget the id of a message the channel's history dropped, so ids cost no memory beyond the history caps."""
        message_id = message.get("id")
        entry = self.seen.get(message_id) if isinstance(message_id, str) else None
        if entry is not None and entry[0] == message.get("serial"):
            del self.seen[message["id"]]

    def _prune(self) -> None:
        horizon = time.monotonic() - self.window
        while self.seen and next(iter(self.seen.values()))[1] < horizon:
            self.seen.popitem(last=False)
