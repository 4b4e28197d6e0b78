"""The peer's identity and the ably-python wrapper it publishes through (site/p2p.js Identity, PubSubClient).

Received messages, presence and lost continuity all reach one callback, as plain dicts (docs/protocol.md):
`{...payload, kind, from, via}` for messages, `{kind: 'presence', members | event, via: 'presence'}` for the
presence set or one presence event, `{kind: 'continuity-lost', reason, via: 'connection'}` after a failed resume.
Both channels receive through guard_channel (inbound.py): whatever another player publishes, ably-python sees only
what peers send.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from ably import AblyRealtime
from ably.types.presence import PresenceAction

from api.token_policy import channel_name_for, inbox_channel_for

from .inbound import guard_channel
from .publish_pacer import PublishPacer
from .rules import default_friendly_name, normalize_friendly_name, received_message

EPOCH = datetime(1970, 1, 1)
ACTIONS = {
    PresenceAction.ABSENT: "absent",
    PresenceAction.PRESENT: "present",
    PresenceAction.ENTER: "enter",
    PresenceAction.LEAVE: "leave",
    PresenceAction.UPDATE: "update",
}


class NoClientId(Exception):
    """Ably connected this peer without a clientId (a token not from our token endpoint): it cannot be addressed."""


class Identity:
    """Who this peer says it is to the others; its clientId is issued by the site's token endpoint."""

    def __init__(self, friendly_name: str | None = None) -> None:
        self.friendly_name = normalize_friendly_name(friendly_name) or default_friendly_name()


def presence_entry(member: Any) -> dict[str, Any]:
    """An ably-python PresenceMessage as the protocol's presence entry (timestamp in ms since the epoch)."""
    timestamp = member.timestamp
    if isinstance(timestamp, datetime):
        timestamp = (timestamp.replace(tzinfo=None) - EPOCH) // timedelta(milliseconds=1)
    return {
        "action": ACTIONS.get(member.action),
        "clientId": member.client_id,
        "connectionId": member.connection_id,
        "timestamp": timestamp,
        "data": member.data,
    }


class PubSubClient:
    """One ably-python Realtime client for one session: the session channel, this peer's inbox, presence."""

    def __init__(
        self,
        on_message: Callable[[dict[str, Any]], None],
        create_realtime: Callable[[str], Awaitable[AblyRealtime]],
    ) -> None:
        self.on_message = on_message
        self.create_realtime = create_realtime
        self.realtime: AblyRealtime | None = None
        self.channel: Any = None
        self.session_id: str | None = None
        self.client_id: str | None = None
        self.connection_id: str | None = None
        self.connected = False
        self.receiving = False
        self.presence_loaded = False
        self.early: list[tuple[Any, str]] = []
        self.presence_lock = asyncio.Lock()
        self.pacer = PublishPacer()

    async def connect(self, identity: Identity, session_id: str) -> None:
        """Attach the session channel (rewinding a minute) and the inbox, enter presence, read the presence set.

        Raises Ably's exception (e.g. code 91003: the session is full) after closing the connection.
        """
        try:
            await self._open(identity, session_id)
        except BaseException:
            await self.close()
            raise

    async def _open(self, identity: Identity, session_id: str) -> None:
        self.session_id = session_id
        self.realtime = realtime = await self.create_realtime(session_id)
        self.channel = guard_channel(realtime.channels.get(channel_name_for(session_id), params={"rewind": "1m"}))
        await self.channel.subscribe(lambda message: self._receive(message, "session"))
        client_id = realtime.auth.client_id
        if not client_id or client_id == "*":
            raise NoClientId("The token endpoint issued no clientId, so messages cannot be targeted at this peer.")
        self.client_id = client_id
        self.connection_id = realtime.connection.connection_manager.connection_id
        inbox = guard_channel(realtime.channels.get(inbox_channel_for(session_id, client_id)))
        await inbox.subscribe(lambda message: self._receive(message, "inbox"))
        await self.channel.presence.subscribe(self._on_presence_event)
        await self.channel.presence.enter({"friendlyName": identity.friendly_name})
        realtime.connection.on("connected", self._on_connected)
        self.connected = True
        await self.refresh_presence()
        self.receiving = True
        for message, via in self.early:
            self._receive(message, via)
        self.early = []

    def _on_presence_event(self, member: Any) -> None:
        if self.presence_loaded:
            self.on_message({"kind": "presence", "event": presence_entry(member), "from": None, "via": "presence"})

    async def refresh_presence(self) -> None:
        """Read the whole presence set and pass it on; events before the read are in it."""
        async with self.presence_lock:
            if not self.connected:
                return
            members = [presence_entry(member) for member in await self.channel.presence.get()]
            self.presence_loaded = True
            self.on_message({"kind": "presence", "members": members, "from": None, "via": "presence"})

    async def _on_connected(self, change: Any) -> None:
        """A new connectionId means the resume failed: messages may be lost, so say so and re-read presence."""
        assert self.realtime is not None
        connection_id = self.realtime.connection.connection_manager.connection_id
        if connection_id == self.connection_id or not self.connected:
            return
        self.connection_id = connection_id
        reason = getattr(change, "reason", None)
        self.on_message({"kind": "continuity-lost", "reason": reason, "from": None, "via": "connection"})
        with contextlib.suppress(Exception):
            await self.refresh_presence()

    def _receive(self, ably_message: Any, via: str) -> None:
        if not self.receiving:
            self.early.append((ably_message, via))
            return
        message = received_message(ably_message.name, ably_message.data, ably_message.client_id, via)
        if message is not None:
            self.on_message(message)

    async def send_message(self, message: dict[str, Any], target_client_id: str | None = None) -> None:
        """Publish to every peer on the session channel, or to one peer's inbox, in order and under Ably's publish
        rate (publish_pacer.py); raises Ably's error."""
        if not self.connected or self.realtime is None or self.session_id is None:
            raise RuntimeError("Client is not connected")
        payload = {key: value for key, value in message.items() if key != "kind"}
        channel = (
            self.realtime.channels.get(inbox_channel_for(self.session_id, target_client_id))
            if target_client_id
            else self.channel
        )
        await self.pacer.take()
        await channel.publish(message["kind"], payload)

    async def close(self) -> None:
        """Leave: close the connection, so the presence leave reaches the others at once."""
        self.connected = self.receiving = self.presence_loaded = False
        self.early = []
        if self.realtime is not None:
            realtime, self.realtime = self.realtime, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(realtime.close(), 5)
