"""Host-owned state on a session: the one layer the word stream (p2p/words.py) and bingo (p2p/bingo_play.py) share.

A Part is one piece of state the elected host owns and every peer mirrors. Each declares
- its message kinds, one row each (who may send it, on which channel: `admitted` drops the rest before any handler
  runs; the handler validates the payload);
- its field(s) of the host's snapshot (`connection-acknowledged`): what it sends while hosting, and what it takes
  from a snapshot (a malformed field is dropped; a required part's malformed field drops the whole snapshot);
- what it does while this peer hosts: a newly elected host continues from what it mirrored, since it is the same
  object that mirrored it.
Private messages are inbox kinds, sent with `send(message, target_client_id)`.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

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
    """One row of a kind table (site/p2p.session.js MESSAGE_KINDS): `sender` 'host' or 'anyone', `channel` 'session'
    (everyone) or 'inbox' (one player), and the method of the part that handles it."""

    sender: str
    channel: str
    handler: str


def admitted(kind: Kind, message: Mapping[str, Any], host_client_id: str | None) -> bool:
    """On the row's channel, and for a host kind, stamped by Ably with the elected host's clientId."""
    if message.get("via") != kind.channel:
        return False
    return kind.sender == ANYONE or (isinstance(message.get("from"), str) and message.get("from") == host_client_id)


async def dispatch(table: Mapping[str, tuple[Kind, Any]], message: dict[str, Any], host: str | None) -> None:
    """Hand an admitted message to the part whose row names its kind; anything else is dropped."""
    row = table.get(message.get("kind"))  # type: ignore[arg-type]
    if row is None or not admitted(row[0], message, host):
        return
    result = getattr(row[1], row[0].handler)(message)
    if result is not None:
        await result


class Part:
    """One piece of host-owned state. `kinds`: what every peer receives; `host_kinds`: what only the host handles."""

    kinds: ClassVar[Mapping[str, Kind]] = {}
    host_kinds: ClassVar[Mapping[str, Kind]] = {}
    # A snapshot without this part's field well-formed is no snapshot at all (the peer stays awaiting).
    required: ClassVar[bool] = False

    def read_snapshot(self, snapshot: Mapping[str, Any]) -> Any:
        """This part's field(s) of a snapshot, validated, or None (absent or malformed)."""
        return None

    def take_snapshot(self, part: Any) -> None:
        """Mirror what read_snapshot returned."""

    def snapshot(self) -> dict[str, Any]:
        """While hosting: this part's field(s) of the snapshot."""
        return {}

    def start_hosting(self) -> None:
        """This peer was elected: continue from the mirror."""

    def stop_hosting(self) -> None:
        """Another peer hosts now (or this one left)."""

    async def on_connected(self, client_id: str) -> None:
        """While hosting: `client_id` was just sent the snapshot (a joiner, or a peer that lost track)."""

    def on_players(self, players: list[dict[str, Any]]) -> None:
        """The roster changed."""

    def on_host_changed(self) -> None:
        """Another host was elected (this peer or not)."""


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
