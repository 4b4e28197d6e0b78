"""Host-owned state in features: the one layer of the session the word stream (p2p/words.py) and bingo (p2p/bingo/)
share, as the site's (site/p2p.session.js FEATURES; docs/build-a-game.md).

A Feature brings
- `kinds`: its rows of the session's message-kind table: who may send the kind (`host`: dropped unless Ably stamped
  the elected host's clientId; `anyone`) and on which channel (`session`: everyone; `inbox`: one player, a private
  message), and what every receiver does with it (`handle(session, message)`, which validates the payload);
- `mirror(session)`: every peer's copy of the host's state (a Mirror), which takes its fields of the host's snapshot;
- `host(session, mirror)`: the host's part (a HostPart), made from the mirror when this peer is elected, so the next
  host goes on from where the last one was; it gives its fields of the snapshot a newcomer gets.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

HOST = "host"
ANYONE = "anyone"
SESSION = "session"
INBOX = "inbox"

Notify = Callable[[str, Any], None]


class Sender(Protocol):
    """What a session's parts need of its PubSubClient."""

    @property
    def client_id(self) -> str | None: ...

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None: ...


@dataclass(frozen=True)
class Kind:
    """One row of the message-kind table (site/p2p.session.js MESSAGE_KINDS)."""

    sender: str
    channel: str
    handle: Callable[[Any, dict[str, Any]], Awaitable[None] | None]


def admitted(kind: Kind, message: Mapping[str, Any], host_client_id: str | None) -> bool:
    """On the row's channel, and for a host kind, stamped by Ably with the elected host's clientId."""
    if message.get("via") != kind.channel:
        return False
    sender = message.get("from")
    return kind.sender == ANYONE or (isinstance(sender, str) and sender == host_client_id)


class Mirror:
    """Every peer's copy of one feature's host state."""

    def accepts(self, snapshot: Mapping[str, Any]) -> bool:
        """False drops the whole snapshot (the word stream's phrase must be well-formed); a feature whose own field
        is malformed just keeps what it had."""
        return True

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Take this feature's fields of the host's snapshot."""

    def host_changed(self) -> None:
        """Another peer (or this one) was elected host."""


class HostPart:
    """The host's side of one feature, while this peer hosts."""

    def snapshot(self) -> dict[str, Any]:
        """This feature's fields of the snapshot."""
        return {}

    def stop(self) -> None:
        """This peer no longer hosts."""

    def players_changed(self, players: list[dict[str, Any]]) -> None:
        """The roster changed (or this peer was just elected)."""

    async def connected(self, client_id: str) -> None:
        """`client_id` was just sent the snapshot (a newcomer, or a peer that lost track)."""


@dataclass(frozen=True)
class Feature:
    name: str
    kinds: Mapping[str, Kind]
    mirror: Callable[[Any], Mirror]
    host: Callable[[Any, Any], HostPart]


class Tasks:
    """A peer's background work: failures reported as `error` events, all ended when it leaves."""

    def __init__(self, notify: Notify) -> None:
        self.notify = notify
        self.running: set[asyncio.Task[Any]] = set()

    def start(self, summary: str, work: Awaitable[Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(work)
        self.running.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.running.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                self.notify("error", {"summary": summary, "error": finished.exception()})

        task.add_done_callback(done)
        return task

    async def close(self) -> None:
        """Cancel everything still running and wait for it to end."""
        running = list(self.running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
