"""The annotations published on a channel's messages, by message serial, in order. Data the world holds."""

from .versions import is_created


class AnnotationLog:
    """Every annotation event (creates and deletes) of each message, oldest first, with serials of their own that
    sort after the message's and in publishing order."""

    def __init__(self):
        self.by_message: dict[str, list[dict]] = {}
        self.count = 0

    def next_serial(self, head_serial: str) -> str:
        """A serial after every message serial so far (`head_serial`, the channel's last) and every annotation's."""
        self.count += 1
        return f"{head_serial}:{self.count:08d}"

    def add(self, annotation: dict) -> None:
        self.by_message.setdefault(annotation["messageSerial"], []).append(annotation)

    def of(self, message_serial: str) -> list[dict]:
        return self.by_message.get(message_serial, [])

    def forget(self, stored: dict) -> None:
        """A message left the log: its annotations go with it."""
        if is_created(stored) and isinstance(stored.get("serial"), str):
            self.by_message.pop(stored["serial"], None)
