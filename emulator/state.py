"""The emulated world in memory: connections, channels and their subscribers, independent of any socket."""

import asyncio
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from . import errors, filters, memory
from .annotation_log import AnnotationLog
from .auth import Authority, Credentials
from .config import EmulatorConfig
from .errors import AblyError
from .history import MessageLog, Retention
from .idempotency import RecentIds
from .presence_set import PresenceSet
from .push_registry import PushRegistry
from .rate_limits import RateBucket, RateLimits
from .stats import Stats
from .versions import Versions

log = logging.getLogger(__name__)


# History dropped in one housekeeping tick before the freed memory is given back to the operating system.
GIVE_BACK_AFTER_BYTES = 8 * 1024 * 1024
CONNECTION_ID_BYTES = 5
KEY_SUFFIX_BYTES = 6
CONNECTION_KEY = re.compile(f"[0-9a-f]{{{2 * CONNECTION_ID_BYTES}}}![0-9a-f]{{{2 * KEY_SUFFIX_BYTES}}}")


def well_formed_key(text: str) -> bool:
    """Whether `text` has the shape of the connection keys we issue (`<connectionId>!<suffix>`)."""
    return CONNECTION_KEY.fullmatch(text) is not None


class ConnectionState(StrEnum):
    """A connection's lifecycle: transport up, transport lost but resumable, gone for good."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


LEGAL_MOVES = {
    ConnectionState.CONNECTED: {ConnectionState.DISCONNECTED, ConnectionState.CLOSED},
    ConnectionState.DISCONNECTED: {ConnectionState.CONNECTED, ConnectionState.CLOSED},
    ConnectionState.CLOSED: set(),
}


class Transport(Protocol):
    """The socket side of a connection, as seen by the world: queue a frame, send the client away, or cut the line."""

    def send(self, message: dict, frames: dict[str, list] | None = None) -> None: ...

    def send_later(self, channel: str, messages: Iterator[dict], weight: int) -> None: ...

    @property
    def queued_bytes(self) -> int: ...

    def disconnect(self, error: AblyError) -> None: ...

    def drop(self) -> None: ...


@dataclass
class Connection:
    """A realtime connection: outlives its transport for `connectionStateTtl` so that it can resume."""

    id: str
    credentials: Credentials
    client_id: str | None
    echo: bool
    fmt: str
    state: ConnectionState = ConnectionState.CONNECTED
    transport: Transport | None = None
    key: str = ""
    issued_keys: set[str] = field(default_factory=set)
    channels: dict[str, int] = field(default_factory=dict)  # attached channel → the modes its ATTACH requested
    remain_present_for: float | None = None  # the `remainPresentFor` connect param, in seconds
    last_msg_serial: int = -1
    replies: dict[int, dict] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    publish_bucket: RateBucket | None = None  # its publish rate, when limited (rate_limits.py)

    def mint_key(self) -> str:
        """A fresh connectionKey (spec RTN15e), remembered so that any key we issued can resume."""
        self.key = f"{self.id}!{secrets.token_hex(KEY_SUFFIX_BYTES)}"
        self.issued_keys.add(self.key)
        return self.key

    def move_to(self, state: ConnectionState) -> None:
        """Change state, refusing moves the lifecycle does not allow."""
        if state not in LEGAL_MOVES[self.state]:
            raise RuntimeError(f"connection {self.id}: cannot move from {self.state.value} to {state.value}")
        self.state = state

    def send(self, message: dict, frames: dict | None = None) -> None:
        """Queue a frame on the live transport; without one the frame is dropped (resume replays what matters)."""
        if self.transport is not None:
            self.transport.send(message, frames)

    def send_later(self, channel: str, messages: Iterator[dict], weight: int = 0) -> None:
        """Queue messages made only as the socket drains (SYNC pages, replays); `weight`: bytes they keep alive."""
        if self.transport is not None:
            self.transport.send_later(channel, messages, weight)

    def require_mode(self, channel: str, mode: int, operation: str) -> None:
        """Refuse (40165) an operation whose mode the attachment to `channel` did not request; unattached is free.

        The capability is checked apart: a mode requested but not granted becomes usable when a new token allows it.

        :raises AblyError: 40165.
        """
        modes = self.channels.get(channel)
        if modes is not None and not modes & mode:
            raise errors.MODE_NOT_REQUESTED(f"Unable to {operation} on channel {channel!r}: mode not requested")

    def remember_reply(self, msg_serial: int, reply: dict) -> None:
        """Keep the ACK/NACK of a publish so a re-sent copy gets the same answer without being published twice."""
        self.last_msg_serial = max(self.last_msg_serial, msg_serial)
        self.replies[msg_serial] = reply
        for old in [serial for serial in self.replies if serial < msg_serial - 1000]:
            del self.replies[old]

    def cancel_timer(self, name: str) -> None:
        timer = self.timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def cancel_timers(self) -> None:
        for name in list(self.timers):
            self.cancel_timer(name)


@dataclass
class Subscriber:
    """A connection attached to a channel with the modes it was granted; it has every message after `since` (the
    number of the serial its attachment started at)."""

    connection: Connection
    modes: int
    since: int = 0


class Channel:
    """A channel: its message and presence-event logs, its presence set and the connections attached to it now."""

    def __init__(self, name: str, config: EmulatorConfig, retention: Retention):
        self.name = name
        self.recent_ids = RecentIds(config.idempotency_window, config.history_max)
        self.versions = Versions()
        self.annotations = AnnotationLog()
        self.log = MessageLog(retention, config.history_max, config.history_max_bytes, self._forget)
        self.presence_log = MessageLog(retention, config.history_max, config.history_max_bytes)
        self.presence = PresenceSet()
        self.subscribers: dict[str, Subscriber] = {}
        self.publish_bucket: RateBucket | None = None  # its publish rate, when limited (rate_limits.py)

    def _forget(self, message: dict) -> None:
        """A message left the log: its idempotency id, versions and annotations go with it."""
        self.recent_ids.forget(message)
        self.versions.forget(message)
        self.annotations.forget(message)


class World:
    """All state of one emulator instance."""

    def __init__(self, config: EmulatorConfig):
        self.config = config
        self.authority = Authority(config.effective_keys(), config)
        self.retention = Retention(config.history_ttl, config.history_total_max, config.history_total_max_bytes)
        self.channels: dict[str, Channel] = {}
        self.derived: dict[str, set[str]] = {}
        self.stats = Stats(lambda name: name in self.channels)
        self.rate_limits = RateLimits(config, self.stats)
        self.connections: dict[str, Connection] = {}
        self.push = PushRegistry()
        self._housekeeping: asyncio.TimerHandle | None = None

    def channel(self, name: str) -> Channel:
        """The channel called `name`, created on first use as Ably does (callers check capabilities first)."""
        channel = self.channels.get(name)
        if channel is None:
            channel = self.channels[name] = Channel(name, self.config, self.retention)
            self.stats.usage.opened("channels", len(self.channels))
            if filters.is_derived(name):
                self.derived.setdefault(filters.base_of(name), set()).add(name)
            self._schedule_housekeeping()
        return channel

    def release(self, name: str) -> None:
        """Drop channel `name` once nothing needs it: no attachment (live or paused), no member, no history."""
        channel = self.channels.get(name)
        if channel is None or channel.subscribers or channel.presence.members:
            return
        channel.log.prune()
        channel.presence_log.prune()
        if channel.log.entries or channel.presence_log.entries:
            return
        if any(name in connection.channels for connection in self.connections.values()):
            return
        del self.channels[name]
        if filters.is_derived(name):
            base = filters.base_of(name)
            self.derived[base].discard(name)
            if not self.derived[base]:
                del self.derived[base]

    def housekeep(self) -> None:
        """Prune expired history everywhere, drop the channels nothing needs any more, and give the memory back to
        the operating system when that freed much."""
        channels, history_bytes = len(self.channels), self.retention.bytes
        self.retention.trim()
        for name in list(self.channels):
            self.release(name)
        if len(self.channels) < channels or self.retention.bytes <= history_bytes - GIVE_BACK_AFTER_BYTES:
            memory.give_back()

    def close(self) -> None:
        """Stop the housekeeping timer (the emulator is stopping)."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            self._housekeeping = None

    def _schedule_housekeeping(self) -> None:
        """Run `housekeep` every `housekeeping_interval` while any channel exists (none outside an event loop)."""
        if self._housekeeping is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._housekeeping = loop.call_later(self.config.housekeeping_interval, self._housekeeping_tick)

    def _housekeeping_tick(self) -> None:
        self._housekeeping = None
        self.housekeep()
        if self.channels:
            self._schedule_housekeeping()

    def new_connection(self, credentials: Credentials, client_id: str | None, echo: bool, fmt: str) -> Connection:
        connection_id = secrets.token_hex(CONNECTION_ID_BYTES)
        while connection_id in self.connections:
            connection_id = secrets.token_hex(CONNECTION_ID_BYTES)
        connection = Connection(connection_id, credentials, client_id, echo, fmt)
        connection.mint_key()
        self.connections[connection_id] = connection
        self.stats.usage.opened("connections.all", len(self.connections))
        return connection

    def find_by_key(self, connection_key: str) -> Connection | None:
        """The resumable connection that was issued `connection_key`, if any."""
        connection = self.connections.get(connection_key.split("!", 1)[0])
        if connection is None or connection.state is ConnectionState.CLOSED:
            return None
        return connection if connection_key in connection.issued_keys else None

    def broadcast(
        self,
        channel: Channel,
        message: dict,
        mode: int,
        skip: Connection | None = None,
        only: Callable[[Subscriber], bool] | None = None,
    ) -> None:
        """Queue `message` (MESSAGE or PRESENCE) to every subscriber holding `mode`, encoding it once per wire format;
        each copy counts as delivered (stats).

        :param skip: a connection that must not receive it (a publisher with `echo=false`).
        :param only: which subscribers it is for, when not all.
        """
        frames: dict = {}
        reached = 0
        for subscriber in list(channel.subscribers.values()):
            if subscriber.modes & mode and subscriber.connection is not skip and (only is None or only(subscriber)):
                try:
                    subscriber.connection.send(message, frames)
                except Exception:  # one subscriber's failure must not stop delivery to the others
                    log.exception(
                        "connection %s: could not queue a frame on %r", subscriber.connection.id, channel.name
                    )
                    continue
                reached += 1
        if reached:
            self.stats.delivered(channel.name, reached, message)
