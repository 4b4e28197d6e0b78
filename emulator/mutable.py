"""Message updates, deletes and appends (Ably's mutable messages), over realtime and REST.

Each makes a new version of a published message: the message keeps its `serial`, the version gets a serial of its
own (its place in the channel's log) with who changed it, when and why. The change is logged (a resume replays
it), broadcast with action `message.update`, `message.delete` or `message.append`, and the new version is what
history, rewind and `GET /channels/{name}/messages/{serial}` show from then on. An append reaches a subscriber
that holds the message as the appended fragment, and one that does not (it attached later) as the whole message.
"""

from . import errors
from .auth import Credentials, now_ms, permits
from .channels import client_id_for, stamp
from .history import parse_serial
from .protocol import Action, Flag, MessageAction, message_size, require_portable, without_none
from .state import Channel, Connection, Subscriber, World

# The capability operation each change needs, in its `-any` form or its `-own` form for the client's own messages.
CAPABILITY = {
    MessageAction.UPDATE: "message-update",
    MessageAction.DELETE: "message-delete",
    MessageAction.APPEND: "message-update",
}
CHANGED_FIELDS = ("name", "extras")


def is_change(frame: dict) -> bool:
    """Whether a MESSAGE frame asks to change a published message rather than publish new ones."""
    items = frame.get("messages")
    return isinstance(items, list) and any(
        isinstance(item, dict) and type(item.get("action")) is int and item["action"] in CAPABILITY for item in items
    )


def require_enabled(world: World, name: str) -> None:
    """Refuse (93002) a channel outside the namespaces with the mutable-messages rule (every channel if unset)."""
    namespaces = world.config.mutable_namespaces
    namespace, colon, _ = name.partition(":")
    if namespaces is not None and not (colon and namespace in namespaces):
        raise errors.MUTABLE_MESSAGES_NOT_ENABLED(
            f"Channel {name!r}: updates, deletes, appends and annotations are only supported on channels with "
            "mutable messages enabled in channel namespace settings"
        )


def on_change(world: World, connection: Connection, frame: dict, name: str) -> dict:
    """A realtime MESSAGE carrying updates, deletes or appends; the ACK's `res` entry (the versions' serials)."""
    connection.require_mode(name, Flag.PUBLISH, "update, delete or append a message")
    items = frame.get("messages")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise errors.BAD_REQUEST("MESSAGE needs a `messages` array of objects")
    return {
        "serials": [
            change(world, name, item, item.get("serial"), connection.credentials, connection.client_id, connection)
            for item in items
        ]
    }


def change(
    world: World,
    name: str,
    item: dict,
    serial,
    credentials: Credentials,
    client_id: str | None,
    origin: Connection | None,
) -> str:
    """Apply one update, delete or append (`item`, its `action` one of them) to the message with `serial`.

    :returns: the serial of the new version.
    :raises AblyError: 93002 (rule off), 40003 (no serial, or not a change), 40400 (no such message), 40160/40166
        (capability), 40012/40013/40016 (as a publish), 40009 (the new version too large).
    """
    require_enabled(world, name)
    action = item.get("action")
    if type(action) is not int or action not in CAPABILITY:
        raise errors.INVALID_PARAMETER(
            f"Invalid message action {action!r}: expected update (1), delete (2) or append (5)"
        )
    if not isinstance(serial, str) or not serial:
        raise errors.INVALID_PARAMETER("Message serial is required for update, delete and append")
    channel = world.channels.get(name)
    original = channel.log.find(serial) if channel is not None else None
    if channel is None or original is None or original.get("serial") != serial:
        raise errors.MESSAGE_NOT_FOUND(f"No message with serial {serial!r} on channel {name!r}")
    _permit(credentials, client_id, name, MessageAction(action), original)
    timestamp = now_ms()
    fields = stamp(item, original["id"], original.get("clientId"), original.get("connectionId"), timestamp)
    version = _version(item.get("version"), channel.log.next_serial, timestamp, client_id, credentials.is_wildcard)
    merged = _merged(channel.versions.latest(original), fields, action)
    if message_size(merged) > world.config.max_message_size:
        raise errors.MESSAGE_TOO_LARGE(f"The new version exceeds maxMessageSize {world.config.max_message_size}")
    shown_action = MessageAction.DELETE if action == MessageAction.DELETE else MessageAction.UPDATE
    newest = {**merged, "action": shown_action, "version": version}
    event = newest
    if action == MessageAction.APPEND:
        event = without_none(
            {
                **{key: original.get(key) for key in ("id", "clientId", "connectionId", "timestamp", "serial")},
                "name": merged.get("name"),
                "action": MessageAction.APPEND,
                "data": fields.get("data"),
                "encoding": fields.get("encoding"),
                "extras": merged.get("extras"),
                "version": version,
            }
        )
    channel.versions.add(newest)
    channel.log.append(event, keep_serial=True)
    transport = "rest" if origin is None else "realtime"
    world.stats.published(name, transport, "messages", 1, message_size(event))
    _broadcast(world, channel, event, newest, origin)
    return version["serial"]


def _permit(credentials: Credentials, client_id: str | None, name: str, action: MessageAction, original: dict) -> None:
    """Whether the caller may change `original`: `<op>-any`, or `<op>-own` when it published it (40160, 40166)."""
    operation = CAPABILITY[action]
    capability = credentials.capability
    if permits(capability, name, f"{operation}-any"):
        return
    if permits(capability, name, f"{operation}-own"):
        if client_id is None or client_id == "*":
            raise errors.UNIDENTIFIED_OWN_MESSAGES(
                f"Unable to change message: anonymous clients require the '{operation}-any' capability (they "
                f"cannot have own messages, so '{operation}-own' does not apply)"
            )
        if original.get("clientId") == client_id:
            return
    raise errors.CAPABILITY_DENIED(f"Permission denied: {operation} on channel {name!r}")


def _version(operation, serial: str, timestamp: int, client_id: str | None, wildcard: bool) -> dict:
    """The new version's `version` field: its serial and time, and the operation's clientId, description and
    metadata (the clientId, when given, must be one the caller may use)."""
    operation = operation if isinstance(operation, dict) else {}
    version = without_none(
        {
            "serial": serial,
            "timestamp": timestamp,
            "clientId": client_id_for(client_id, wildcard, operation),
            "description": operation.get("description"),
            "metadata": operation.get("metadata"),
        }
    )
    require_portable(version, "Message version")
    return version


def _merged(latest: dict, fields: dict, action: int) -> dict:
    """The message's fields after the change: an update or delete replaces those it gives (`data` with its
    `encoding`) and keeps the others; an append adds its data to the latest."""
    merged = {key: value for key, value in latest.items() if key not in ("action", "version")}
    merged.update({key: fields[key] for key in CHANGED_FIELDS if key in fields})
    if action == MessageAction.APPEND:
        merged["data"] = _appended(latest, fields)
    elif "data" in fields:
        merged.pop("encoding", None)
        merged.update({key: fields[key] for key in ("data", "encoding") if key in fields})
    return merged


def _appended(latest: dict, fields: dict):
    """The data after an append: the fragment after the latest data, both strings (or both binary), same encoding.

    :raises AblyError: 40013 otherwise.
    """
    base, fragment = latest.get("data"), fields.get("data")
    if latest.get("encoding") == fields.get("encoding"):
        if isinstance(base, str) and isinstance(fragment, str):
            return base + fragment
        if isinstance(base, bytes) and isinstance(fragment, bytes):
            return base + fragment
    raise errors.INVALID_MESSAGE_DATA("An append needs data of the same type and encoding as the message's")


def _broadcast(world: World, channel: Channel, event: dict, newest: dict, origin: Connection | None) -> None:
    """Send the change to the channel's subscribers; an append goes whole to those that do not hold the message."""
    serial = newest["serial"]
    frame = {
        "action": Action.MESSAGE,
        "channel": channel.name,
        "timestamp": newest["version"]["timestamp"],
        "channelSerial": newest["version"]["serial"],
        "messages": [event],
    }
    skip = origin if origin is not None and not origin.echo else None
    holders = channel.versions.holders.setdefault(serial, set())
    created = parse_serial(serial) or 0

    def holds(subscriber: Subscriber) -> bool:
        return created > subscriber.since or subscriber.connection.id in holders

    if event is newest:
        world.broadcast(channel, frame, Flag.SUBSCRIBE, skip=skip)
    else:
        world.broadcast(channel, frame, Flag.SUBSCRIBE, skip=skip, only=holds)
        world.broadcast(
            channel, {**frame, "messages": [newest]}, Flag.SUBSCRIBE, skip=skip, only=lambda s: not holds(s)
        )
    holders.update(channel.subscribers)


def latest(channel: Channel, serial: str) -> dict | None:
    """The latest version of the message with `serial` (None when there is none)."""
    original = channel.log.find(serial)
    if original is None or original.get("serial") != serial:
        return None
    return channel.versions.latest(original)


def every_version(channel: Channel, serial: str) -> list[dict] | None:
    """Every version of the message with `serial`, oldest (as published) first; None when there is none."""
    original = channel.log.find(serial)
    if original is None or original.get("serial") != serial:
        return None
    return channel.versions.every(original)
