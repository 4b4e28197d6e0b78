"""Channel operations: ATTACH (with resume replay and rewind), DETACH, and publishing with fan-out."""

import json
import secrets
from collections.abc import Callable, Iterator

from . import delta, errors, filters
from .auth import now_ms, permits
from .history import format_serial, parse_serial
from .presence import leave_connection, sync
from .protocol import MODE_FLAGS, PAYLOAD_TYPES, Action, Flag, message_size, require_portable, without_none
from .state import Channel, Connection, Subscriber, World
from .versions import is_created
from .versions import position as position_of

MAX_CHANNEL_NAME = 2048
PUSH_MESSAGE_NAME = "__ably_push__"
KNOWN_PARAMS = ("rewind", "delta", "occupancy", "modes")


def valid_channel_name(name) -> str:
    """A channel name as Ably accepts it: not empty, not starting with `:` (an empty namespace) or `[`, no newline.

    Of the qualified names only subscription filters (`[filter=<base64>]room`, filters.py) are emulated;
    others (`[?rewind=1]room`, `[meta]...`) are refused.

    :raises AblyError: 40010.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_CHANNEL_NAME:
        raise errors.INVALID_CHANNEL_NAME(
            f"Invalid channel name {name!r}: must be a string of 1 to {MAX_CHANNEL_NAME} characters"
        )
    if name.startswith(":"):
        raise errors.INVALID_CHANNEL_NAME(f"Invalid channel name {name!r}: must not start with ':'")
    if filters.is_derived(name):
        valid_channel_name(filters.base_of(name))
        return name
    if name.startswith("[") or any(char in name for char in "\x00\n\r"):
        raise errors.INVALID_CHANNEL_NAME(
            f"Invalid channel name {name!r}: qualifiers, newlines and NUL are not supported"
        )
    return name


def attach_params(params) -> dict[str, str]:
    """ATTACH params as strings: ably-js sends what the app gave (`{rewind: 1}` in resume_rewind_1), Ably reads
    scalars as their text.

    :raises AblyError: 40000 when params is not an object of strings, numbers or booleans.
    """
    if params is None:
        return {}
    if not isinstance(params, dict) or not all(isinstance(v, (str, int, float)) for v in params.values()):
        raise errors.BAD_REQUEST("ATTACH params must be an object of strings (or numbers)")
    return {str(key): str(value).lower() if isinstance(value, bool) else str(value) for key, value in params.items()}


def requested_modes(flags: int, params: dict) -> int:
    """The modes an ATTACH asks for: the `modes` param if given (it wins over the flags, as on Ably), else the
    mode flags, else Ably's default set.

    :raises AblyError: 40003 for a `modes` param naming an unknown mode.
    """
    if "modes" not in params:
        return flags & Flag.ALL_MODES or Flag.DEFAULT_MODES
    modes = 0
    for mode_name in params["modes"].split(","):
        flag = MODE_FLAGS.get(mode_name.strip().lower())
        if flag is None:
            raise errors.INVALID_PARAMETER(f"Invalid channel param modes {params['modes']!r}: unknown mode")
        modes |= flag
    return modes


def granted_modes(capability: dict, channel: str, requested: int) -> int:
    """The requested modes that the capability allows; 40160 if none."""
    allowed = 0
    if permits(capability, channel, "publish"):
        allowed |= Flag.PUBLISH
    if permits(capability, channel, "subscribe"):
        allowed |= Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE
    if permits(capability, channel, "presence"):
        allowed |= Flag.PRESENCE | Flag.PRESENCE_SUBSCRIBE
    if permits(capability, channel, "annotation-publish"):
        allowed |= Flag.ANNOTATION_PUBLISH
    if permits(capability, channel, "annotation-subscribe"):
        allowed |= Flag.ANNOTATION_SUBSCRIBE
    modes = requested & allowed
    if not modes:
        raise errors.CAPABILITY_DENIED(f"Permission denied: attach to channel {channel!r}")
    return modes


def on_attach(world: World, connection: Connection, message: dict, name: str) -> None:
    """Answer ATTACH: ATTACHED, then the messages the client is owed, then a presence SYNC, then live delivery.

    The start point is, in order: nothing new when the connection is already attached on this transport (unless
    it is a delta client's recovery, delta.py), the client's `channelSerial` (resume: replay after it, RESUMED
    set), the `rewind` param (first attach), or the live head. Nothing awaits in between, so no live message is
    missed or delivered twice.
    """
    flags = message.get("flags") or 0
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise errors.BAD_REQUEST("ATTACH flags must be an integer")
    params = attach_params(message.get("params"))
    requested = requested_modes(flags, params)
    modes = granted_modes(connection.credentials.capability, name, requested)
    channel = world.channel(name)
    attach_serial = message.get("channelSerial")
    replay, error, resumed, shown = range(0), None, False, None
    position = channel.log.head_serial
    if connection.id in channel.subscribers and not delta.recovers(params, attach_serial):
        # Already attached on this transport: everything since is delivered or queued, so replaying would duplicate.
        resumed, position = True, attach_serial if isinstance(attach_serial, str) else position
    elif attach_serial is not None:
        serial = parse_serial(attach_serial)
        found = channel.log.range_after(serial) if serial is not None else None
        if found is None:
            error = errors.CHANNEL_MESSAGES_EXPIRED(
                f"Unable to recover channel from {attach_serial!r}: messages expired or unknown; "
                "attached at the live head"
            )
        else:
            replay, resumed, position = found, True, attach_serial
    elif "rewind" in params and not flags & Flag.ATTACH_RESUME:
        # ATTACH_RESUME: the client resumes an attachment it had, so it must not be rewound again (spec RTL4j2).
        # A rewind counts and shows published messages in their latest version (history's view), not the changes.
        replay = channel.log.rewind(params["rewind"], world.config.rewind_max, is_created)
        shown = channel.versions.shown
        if replay:
            position = format_serial(replay.start - 1)
    if not modes & Flag.SUBSCRIBE:
        replay = range(0)
    own = None if connection.echo else connection.id
    has_backlog = any(
        (own is None or stored.get("connectionId") != own) and (shown is None or shown(stored) is not None)
        for stored in channel.log.messages(replay)
    )
    has_presence = bool(modes & Flag.PRESENCE_SUBSCRIBE and channel.presence.members)
    attached = {
        "action": Action.ATTACHED,
        "channel": name,
        "channelSerial": position,
        "flags": modes
        | (Flag.HAS_PRESENCE if has_presence else 0)
        | (Flag.RESUMED if resumed else 0)
        | (Flag.HAS_BACKLOG if has_backlog else 0),
        "params": {key: value for key, value in params.items() if key in KNOWN_PARAMS} or None,
        "error": error.to_dict() if error else None,
    }
    connection.send(without_none(attached))
    if has_backlog:
        connection.send_later(name, replayed(world, channel, replay, own, shown))
    if has_presence:
        pages, weight = sync(channel, connection.fmt, world.config.max_frame_size)
        connection.send_later(name, pages, weight)
    since = parse_serial(position)
    channel.subscribers[connection.id] = Subscriber(connection, modes, channel.log.head if since is None else since)
    connection.channels[name] = requested


def recheck_capabilities(world: World, connection: Connection) -> None:
    """After a new token: each attachment gets the modes the new capability allows; one left with none fails (40160).

    As on Ably (ably-js test/realtime/reauth.test.js `reauthCapabilityDowngradeFullChannel`): the channel gets a
    channel ERROR and is detached, its presence members leave.
    """
    for name, requested in list(connection.channels.items()):
        try:
            modes = granted_modes(connection.credentials.capability, name, requested)
        except errors.AblyError as exc:
            detach(world, connection, name)
            connection.send({"action": Action.ERROR, "channel": name, "error": exc.to_dict()})
            continue
        channel = world.channels.get(name)
        subscriber = channel.subscribers.get(connection.id) if channel is not None else None
        if subscriber is not None:
            subscriber.modes = modes


def on_sync(world: World, connection: Connection, name: str) -> None:
    """Answer a client's SYNC request (ably-js `channel.sync()`, spec RTP19): the presence set again, in pages.

    The SDK then publishes a leave for any member it holds that the SYNC leaves out. Only an attachment that
    receives presence is answered; anything else is ignored as before.
    """
    channel = world.channels.get(name)
    subscriber = channel.subscribers.get(connection.id) if channel is not None else None
    if channel is None or subscriber is None or not subscriber.modes & Flag.PRESENCE_SUBSCRIBE:
        return
    pages, weight = sync(channel, connection.fmt, world.config.max_frame_size)
    connection.send_later(name, pages, weight)


def replayed(
    world: World,
    channel: Channel,
    serials: range,
    own: str | None,
    shown: Callable[[dict], dict | None] | None = None,
) -> Iterator[dict]:
    """The MESSAGE frames of a resume or rewind, one per stored message, made as the socket drains.

    A message forgotten before its turn (its age or the history caps) is skipped; `own` is a connectionId whose
    messages are left out (`echo=false`); `shown` gives what is sent of a stored message (None: nothing), the
    message as logged by default.
    """
    for stored in channel.log.messages(serials):
        if own is not None and stored.get("connectionId") == own:
            continue
        sent = stored if shown is None else shown(stored)
        if sent is None:
            continue
        frame = {
            "action": Action.MESSAGE,
            "channel": channel.name,
            "connectionId": stored.get("connectionId"),
            "timestamp": stored["timestamp"],
            "channelSerial": position_of(stored),
            "messages": [sent],
        }
        world.stats.delivered(channel.name, 1, frame)
        yield frame


def on_detach(world: World, connection: Connection, name: str) -> None:
    """Answer DETACH: stop delivery, leave the connection's presence members at once, reply DETACHED."""
    detach(world, connection, name)
    connection.send({"action": Action.DETACHED, "channel": name})


def detach(world: World, connection: Connection, name: str) -> None:
    connection.channels.pop(name, None)
    channel = world.channels.get(name)
    if channel is not None:
        channel.subscribers.pop(connection.id, None)
        leave_connection(world, channel, connection.id)
        world.release(name)


def on_message(world: World, connection: Connection, message: dict, name: str, frame_size: int) -> dict:
    """Handle an inbound MESSAGE; returns the ACK `res` entry (`{"serials": [...]}`). Raises AblyError → NACK."""
    if not permits(connection.credentials.capability, name, "publish"):
        raise errors.CAPABILITY_DENIED(f"Permission denied: publish to channel {name!r}")
    connection.require_mode(name, Flag.PUBLISH, "publish")
    items = message.get("messages")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise errors.BAD_REQUEST("MESSAGE needs a non-empty `messages` array of objects")
    if frame_size > world.config.max_frame_size:
        raise errors.MESSAGE_TOO_LARGE(
            f"Frame of {frame_size} bytes exceeds maxFrameSize {world.config.max_frame_size}"
        )
    prefix = f"{connection.id}:{message['msgSerial']}"
    timestamp = now_ms()
    stamped = [
        stamp(
            item,
            f"{prefix}:{index}",
            client_id_for(connection.client_id, connection.credentials.is_wildcard, item),
            connection.id,
            timestamp,
        )
        for index, item in enumerate(items)
    ]
    return publish(world, name, stamped, prefix, connection, connection.id, supplied_ids(items))


def supplied_ids(items: list[dict]) -> frozenset[str]:
    """The message ids a client chose itself: only these are de-duplicated (idempotent publishing).

    Ids that are not non-empty strings are delivered as published but are no idempotency keys.
    """
    return frozenset(item["id"] for item in items if isinstance(item.get("id"), str) and item["id"])


def client_id_for(own: str | None, wildcard: bool, item: dict) -> str | None:
    """The clientId a message is published under: its own if the credentials allow it, else the connection's."""
    client_id = item.get("clientId")
    if client_id is None:
        return own if own != "*" else None
    if not isinstance(client_id, str) or not client_id or client_id == "*":
        raise errors.INVALID_CLIENT_ID(f"Invalid clientId {client_id!r}")
    if client_id != own and not (wildcard or own == "*"):
        raise errors.INVALID_CLIENT_ID(f"Invalid clientId {client_id!r}: this connection is {own!r}")
    return client_id


def stamp(item: dict, message_id: str, client_id: str | None, connection_id: str | None, timestamp: int) -> dict:
    """Validate one inbound message and return it as stored and delivered (the SDK's `size` field dropped).

    Refused only as Ably documents (COVERAGE.md, "What the emulator refuses from a client, and why"): data of an
    unsupported type (40013), a name that is not a string (40016). `encoding`, `extras` and a client-supplied `id`
    of any value are delivered as published, as peers must assume Ably does; connectionId and timestamp are Ably's.
    """
    if not isinstance(item.get("data"), PAYLOAD_TYPES):
        raise errors.INVALID_MESSAGE_DATA("Message data must be a string, binary, object or array")
    if not isinstance(item.get("name"), (str, type(None))):
        raise errors.INVALID_MESSAGE_NAME("Message name must be a string")
    supplied_id = item.get("id")
    stored = without_none(
        {
            "id": message_id if supplied_id is None else supplied_id,
            "action": 0,
            "clientId": client_id,
            "connectionId": connection_id,
            "timestamp": timestamp,
            "name": item.get("name"),
            "data": item.get("data"),
            "encoding": item.get("encoding"),
            "extras": item.get("extras"),
        }
    )
    require_portable(stored, "Message")
    return stored


def publish(
    world: World,
    name: str,
    messages: list[dict],
    message_id: str | None,
    origin: Connection | None,
    connection_id: str | None,
    client_ids: frozenset[str] = frozenset(),
) -> dict:
    """Store `messages` on channel `name` and fan them out in one MESSAGE; returns `{"serials": [...]}`.

    A message whose id is in `client_ids` and was published on the channel within the idempotency window is
    neither stored nor delivered again; its serial is the earlier one's (Ably's idempotent publishing).

    :raises AblyError: 40034 when there are more than `max_messages_per_publish`, 40009 when their total size
        exceeds maxMessageSize (both checked before anything is stored).
    """
    most = world.config.max_messages_per_publish
    if most and len(messages) > most:
        raise errors.TOO_MANY_MESSAGES(f"{len(messages)} messages in one publish; at most {most} are allowed")
    sizes = [message_size(message) for message in messages]
    if sum(sizes) > world.config.max_message_size:
        raise errors.MESSAGE_TOO_LARGE(
            f"Message size {sum(sizes)} bytes exceeds maxMessageSize {world.config.max_message_size}"
        )
    channel = world.channel(name)
    world.rate_limits.check_publish(origin, channel, len(messages))
    keys = [
        message["id"] if isinstance(message["id"], str) and message["id"] in client_ids else None
        for message in messages
    ]
    earlier = {
        key: serial for key in keys if key is not None and (serial := channel.recent_ids.serial_of(key)) is not None
    }
    serials = [earlier.get(key) if key is not None else None for key in keys]
    fresh = [
        (message, size, key) for message, size, key in zip(messages, sizes, keys, strict=True) if key not in earlier
    ]
    for message, size, key in fresh:
        channel.log.append(message)
        world.stats.record_message_size(name, size)
        if key is not None:
            channel.recent_ids.add(key, message["serial"])
    result = {"serials": [serial or message["serial"] for serial, message in zip(serials, messages, strict=True)]}
    messages = [message for message, _, _ in fresh]
    if not messages:
        return result
    transport = "rest" if origin is None else "realtime"
    world.stats.published(name, transport, "messages", len(messages), sum(size for _, size, _ in fresh))
    frame = without_none(
        {
            "action": Action.MESSAGE,
            "channel": name,
            "id": message_id,
            "connectionId": connection_id,
            "timestamp": messages[0]["timestamp"],
            "channelSerial": messages[-1]["serial"],
            "messages": messages,
        }
    )
    skip = origin if origin is not None and not origin.echo else None
    world.broadcast(channel, frame, Flag.SUBSCRIBE, skip=skip)
    _forward_to_derived(world, name, frame, skip)
    for target, payload in world.push.relayed(name, messages, world.config.push_namespaces):
        deliver_push(world, target, payload)
    return result


def _forward_to_derived(world: World, base: str, frame: dict, skip: Connection | None) -> None:
    """After a MESSAGE frame went to channel `base`, send each derived channel the messages its filter passes."""
    for name in list(world.derived.get(base, ())):
        channel = world.channels.get(name)
        passed = [message for message in frame["messages"] if filters.matches(name, message)]
        if channel is not None and passed:
            world.broadcast(
                channel,
                {**frame, "channel": name, "messages": passed, "channelSerial": passed[-1]["serial"]},
                Flag.SUBSCRIBE,
                skip=skip,
            )


def rest_message_id() -> str:
    """The id base REST publishes get when the client supplies none (`<base64>:<index>` like the SDKs)."""
    return secrets.token_urlsafe(9)


def deliver_push(world: World, name: str, payload: dict) -> None:
    """A push notification through Ably's test transport `ablyChannel`: a `__ably_push__` message on channel `name`
    whose data is the payload as JSON (the only push transport the emulator delivers to)."""
    message = {"name": PUSH_MESSAGE_NAME, "data": json.dumps(payload)}
    publish(world, name, [stamp(message, f"{rest_message_id()}:0", None, None, now_ms())], None, None, None)
