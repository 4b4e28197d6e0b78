"""Presence: who is on a channel, enter/update/leave from clients, server-made leaves, and SYNC snapshots."""

import itertools
from collections.abc import Iterator

from . import errors
from .auth import now_ms, permits
from .protocol import (
    PAYLOAD_TYPES,
    Action,
    Flag,
    PresenceAction,
    envelope_size,
    fitting_runs,
    message_size,
    require_portable,
)
from .state import Channel, Connection, World

# What a member's key costs beside its clientId and connectionId, for a SYNC that keeps it alive until sent.
KEY_ALLOWANCE = 100
CLIENT_ACTIONS = {PresenceAction.ENTER, PresenceAction.UPDATE, PresenceAction.LEAVE}
_synthetic_ids = itertools.count(1)
_sync_ids = itertools.count(1)


def on_presence(world: World, connection: Connection, message: dict, channel_name: str, frame_size: int) -> None:
    """Handle an inbound PRESENCE (ACKed without `res`). Raises AblyError for a NACK.

    The limits of a publish apply (maxFrameSize, maxMessageSize, messages per publish), and a channel holds at
    most `presence_members_max` members (91003); a refused PRESENCE changes nothing.
    """
    if not permits(connection.credentials.capability, channel_name, "presence"):
        raise errors.CAPABILITY_DENIED(f"Permission denied: presence on channel {channel_name!r}")
    connection.require_mode(channel_name, Flag.PRESENCE, "enter presence")
    items = message.get("presence")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise errors.BAD_REQUEST("PRESENCE needs a non-empty `presence` array of objects")
    config = world.config
    if frame_size > config.max_frame_size:
        raise errors.MESSAGE_TOO_LARGE(f"Frame of {frame_size} bytes exceeds maxFrameSize {config.max_frame_size}")
    if config.max_messages_per_publish and len(items) > config.max_messages_per_publish:
        raise errors.TOO_MANY_MESSAGES(
            f"{len(items)} presence messages in one frame; at most {config.max_messages_per_publish} are allowed"
        )
    timestamp = now_ms()
    prefix = f"{connection.id}:{message['msgSerial']}"
    records = [
        (_validated(connection, item, f"{prefix}:{index}", timestamp), item.get("id"))
        for index, item in enumerate(items)
    ]
    size = sum(message_size(record) for record, _ in records)
    if size > config.max_message_size:
        raise errors.MESSAGE_TOO_LARGE(f"Presence size {size} bytes exceeds maxMessageSize {config.max_message_size}")
    channel = world.channel(channel_name)
    _require_room(channel, [record for record, _ in records], config.presence_members_max)
    world.stats.published(channel_name, "realtime", "presence", len(records), size)
    broadcast = []
    for record, supplied_id in records:
        action = channel.presence.apply(record, supplied_id)
        if action is not None:
            broadcast.append({**record, "action": action})
    if broadcast:
        record_events(channel, broadcast)
        world.broadcast(
            channel,
            {
                "action": Action.PRESENCE,
                "channel": channel_name,
                "id": prefix,
                "connectionId": connection.id,
                "timestamp": timestamp,
                "presence": broadcast,
            },
            Flag.PRESENCE_SUBSCRIBE,
        )


def _require_room(channel: Channel, records: list[dict], most: int) -> None:
    """Refuse (91003) a PRESENCE whose enters would take the channel past `most` members."""
    members = channel.presence.members
    newcomers = {
        (record["clientId"], record["connectionId"])
        for record in records
        if record["action"] != PresenceAction.LEAVE and (record["clientId"], record["connectionId"]) not in members
    }
    if newcomers and len(members) + len(newcomers) > most:
        raise errors.TOO_MANY_PRESENCE_MEMBERS(
            f"Unable to enter member to presence channel; maximum number of {most} members exceeded"
        )


def _validated(connection: Connection, item: dict, message_id: str, timestamp: int) -> dict:
    action = item.get("action")
    if type(action) is not int or action not in CLIENT_ACTIONS:
        raise errors.BAD_REQUEST(f"Invalid presence action {action!r}: use 2 (enter), 3 (leave) or 4 (update)")
    client_id = item.get("clientId")
    if client_id is not None and not isinstance(client_id, str):
        raise errors.INVALID_CLIENT_ID("Presence clientId must be a string")
    own = connection.client_id
    if client_id is not None and client_id != own and not (connection.credentials.is_wildcard or own == "*"):
        raise errors.INVALID_CLIENT_ID(f"Invalid clientId {client_id!r}: this connection is {own!r}")
    client_id = client_id or own
    if client_id in (None, "*"):
        raise errors.PRESENCE_NO_CLIENT_ID()
    if not isinstance(item.get("data"), PAYLOAD_TYPES):
        raise errors.INVALID_MESSAGE_DATA("Presence data must be a string, binary, object or array")
    record = {
        "id": message_id,
        "action": int(action),
        "clientId": client_id,
        "connectionId": connection.id,
        "timestamp": timestamp,
    }
    for optional in ("data", "encoding", "extras"):
        if item.get(optional) is not None:
            record[optional] = item[optional]
    require_portable(record, "Presence message")
    return record


def leave_connection(world: World, channel: Channel, connection_id: str) -> None:
    """Remove every member a connection holds on `channel` and broadcast server-made leaves.

    Their ids do not start with the connectionId, so the SDKs compare them by timestamp (spec RTP2b1).
    """
    members = channel.presence.of_connection(connection_id)
    if not members:
        return
    timestamp = now_ms()
    message_id = f"leave-{next(_synthetic_ids)}"
    leaves = []
    for index, member in enumerate(members):
        del channel.presence.members[(member["clientId"], connection_id)]
        leave = {**member, "action": PresenceAction.LEAVE, "id": f"{message_id}:0:{index}", "timestamp": timestamp}
        leaves.append(leave)
    world.stats.add(channel.name, "presence_published", len(leaves))
    record_events(channel, leaves)
    world.broadcast(
        channel,
        {
            "action": Action.PRESENCE,
            "channel": channel.name,
            "id": message_id,
            "timestamp": timestamp,
            "presence": leaves,
        },
        Flag.PRESENCE_SUBSCRIBE,
    )


def record_events(channel: Channel, events: list[dict]) -> None:
    """Keep presence events for `GET /channels/{name}/presence/history` (copies: the log stamps a serial)."""
    for event in events:
        channel.presence_log.append(dict(event))


def sync(channel: Channel, fmt: str, limit: int) -> tuple[Iterator[dict], int]:
    """The SYNC pages describing every member, made as they are sent, and the bytes they keep alive meanwhile.

    Pages are as large as fit in a frame of `limit` bytes (maxFrameSize) in `fmt`; `channelSerial` is
    `<syncId>:<cursor>`, the cursor empty on the last page (spec RTP18). The members are those present now, each
    sent as it is when its page is made (one that left meanwhile is left out; its leave follows the SYNC).
    """
    keys = list(channel.presence.members)
    weight = sum(len(client_id) + len(connection_id) + KEY_ALLOWANCE for client_id, connection_id in keys)
    return _sync_pages(channel, keys, f"sync{next(_sync_ids)}", fmt, limit), weight


def _sync_pages(channel: Channel, keys: list[tuple[str, str]], sync_id: str, fmt: str, limit: int) -> Iterator[dict]:
    members = channel.presence.members
    present = (member for key in keys if (member := members.get(key)) is not None)
    widest = {"action": Action.SYNC, "channel": channel.name, "channelSerial": f"{sync_id}:{len(keys)}"}
    runs = fitting_runs(present, fmt, limit - envelope_size(widest, "presence", fmt))
    run = next(runs, [])
    cursor = 0
    while True:
        following = next(runs, None)
        cursor += 1
        yield {
            "action": Action.SYNC,
            "channel": channel.name,
            "channelSerial": f"{sync_id}:{cursor if following is not None else ''}",
            "presence": run,
        }
        if following is None:
            return
        run = following
