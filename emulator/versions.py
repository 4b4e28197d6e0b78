"""The later versions of a channel's messages (Ably's mutable messages) and what history shows of each message.

A message's log entry keeps it as published; an update, delete or append is logged as an event of its own (for
resume) and its result, the message's new version, is kept here by the message's serial. Data the world holds,
without sockets.
"""

from .protocol import MessageAction


def is_created(stored: dict) -> bool:
    """Whether a logged message is a published one (not the event of a change to another)."""
    return stored.get("action", MessageAction.CREATE) == MessageAction.CREATE


def position(stored: dict) -> str:
    """Where a logged message sits in the channel: its serial, or for a change its version's serial."""
    version = stored.get("version")
    return version["serial"] if not is_created(stored) and isinstance(version, dict) else stored["serial"]


class Versions:
    """Each changed message's versions after the first, oldest first, and the connections that already hold a
    whole version of it (an append reaches them as the appended fragment, everyone else as the whole message)."""

    def __init__(self):
        self.later: dict[str, list[dict]] = {}
        self.holders: dict[str, set[str]] = {}

    def latest(self, created: dict) -> dict:
        versions = self.later.get(created["serial"])
        return versions[-1] if versions else created

    def every(self, created: dict) -> list[dict]:
        return [created, *self.later.get(created["serial"], ())]

    def add(self, version: dict) -> None:
        self.later.setdefault(version["serial"], []).append(version)

    def shown(self, stored: dict) -> dict | None:
        """What history and rewind show of a logged message: a published message in its latest version, in its
        place; the events that changed it are not shown on their own (Ably's history)."""
        return self.latest(stored) if is_created(stored) else None

    def forget(self, stored: dict) -> None:
        """A published message left the log: its versions go with it."""
        if is_created(stored) and "serial" in stored:
            self.later.pop(stored["serial"], None)
            self.holders.pop(stored["serial"], None)
