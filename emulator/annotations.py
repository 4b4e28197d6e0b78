"""Annotations on published messages (reactions and the like), over realtime and REST, and their summaries.

An annotation names its message by `messageSerial` and has a `type` `<namespace>:<aggregation>`: the aggregation
(`total.v1`, `flag.v1`, `distinct.v1`, `unique.v1`, `multiple.v1`) says how annotations of that type add up in
the message's summary. Each annotation is stored, broadcast in an ANNOTATION frame to attachments with the
annotation_subscribe mode, and followed by a `message.summary` MESSAGE (the message's latest version with
`annotations.summary`, every type's summary) to those with subscribe.
"""

from . import errors
from .auth import Credentials, now_ms, permits
from .channels import client_id_for
from .mutable import latest, require_enabled
from .protocol import (
    PAYLOAD_TYPES,
    Action,
    AnnotationAction,
    Flag,
    MessageAction,
    message_size,
    require_portable,
    without_none,
)
from .state import Channel, Connection, World

AGGREGATIONS = ("total.v1", "flag.v1", "distinct.v1", "unique.v1", "multiple.v1")
# Aggregations that count clients, so an annotation of theirs needs an identified client.
BY_CLIENT = ("flag.v1", "distinct.v1", "unique.v1")


def on_annotation(world: World, connection: Connection, frame: dict, name: str) -> dict:
    """A realtime ANNOTATION frame; the ACK's `res` entry (the annotations' serials)."""
    _require_capability(connection.credentials, name)
    connection.require_mode(name, Flag.ANNOTATION_PUBLISH, "publish an annotation")
    items = frame.get("annotations")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise errors.BAD_REQUEST("ANNOTATION needs a non-empty `annotations` array of objects")
    prefix = f"{connection.id}:{frame['msgSerial']}"
    timestamp = now_ms()
    annotations = [
        checked(item, item.get("messageSerial"), f"{prefix}:{index}", connection.credentials, connection.client_id)
        | {"connectionId": connection.id, "timestamp": timestamp}
        for index, item in enumerate(items)
    ]
    return publish(world, name, annotations, connection)


def rest_publish(world: World, credentials: Credentials, name: str, serial: str, items, base_id: str) -> dict:
    """`POST /channels/{name}/messages/{serial}/annotations` (an annotation or an array of them)."""
    _require_capability(credentials, name)
    items = items if isinstance(items, list) else [items]
    if not items or not all(isinstance(item, dict) for item in items):
        raise errors.INVALID_REQUEST_BODY("Publish an annotation object or a non-empty array of them")
    timestamp = now_ms()
    annotations = [
        checked(item, serial, f"{base_id}:{index}", credentials, credentials.client_id) | {"timestamp": timestamp}
        for index, item in enumerate(items)
    ]
    return publish(world, name, annotations, None)


def _require_capability(credentials: Credentials, name: str) -> None:
    if not permits(credentials.capability, name, "annotation-publish"):
        raise errors.CAPABILITY_DENIED(f"Permission denied: annotation-publish on channel {name!r}")


def checked(item: dict, message_serial, annotation_id: str, credentials: Credentials, client_id: str | None) -> dict:
    """Validate one inbound annotation and return it as stored (without serial, connectionId and timestamp).

    :raises AblyError: 40003 (message serial, type, action, name or count), 40013 (data), 40012 (clientId), 40161
        (a client-counting aggregation from an unidentified client).
    """
    if not isinstance(message_serial, str) or not message_serial:
        raise errors.INVALID_PARAMETER("An annotation needs the messageSerial of the message it annotates")
    kind = item.get("type")
    if not isinstance(kind, str) or kind.rpartition(":")[2] not in AGGREGATIONS:
        raise errors.INVALID_PARAMETER(
            f"Invalid annotation type {kind!r}: use <namespace>:<aggregation>, the aggregation one of "
            + ", ".join(AGGREGATIONS)
        )
    action = item.get("action", AnnotationAction.CREATE)
    if type(action) is not int or action not in tuple(AnnotationAction):
        raise errors.INVALID_PARAMETER(f"Invalid annotation action {action!r}: create (0) or delete (1)")
    if not isinstance(item.get("name"), (str, type(None))):
        raise errors.INVALID_PARAMETER("Annotation name must be a string")
    count = item.get("count")
    if count is not None and (type(count) is not int or count < 0):
        raise errors.INVALID_PARAMETER("Annotation count must be a non-negative integer")
    if not isinstance(item.get("data"), PAYLOAD_TYPES):
        raise errors.INVALID_MESSAGE_DATA("Annotation data must be a string, binary, object or array")
    publisher = client_id_for(client_id, credentials.is_wildcard, item)
    if publisher is None and kind.rpartition(":")[2] in BY_CLIENT:
        raise errors.IDENTIFIED_CLIENT_REQUIRED(f"Annotations of type {kind!r} need an identified client")
    supplied_id = item.get("id")
    annotation = without_none(
        {
            "id": supplied_id if isinstance(supplied_id, str) and supplied_id else annotation_id,
            "action": action,
            "clientId": publisher,
            "messageSerial": message_serial,
            "type": kind,
            "name": item.get("name"),
            "count": count,
            "data": item.get("data"),
            "encoding": item.get("encoding"),
            "extras": item.get("extras"),
        }
    )
    require_portable(annotation, "Annotation")
    return annotation


def publish(world: World, name: str, annotations: list[dict], origin: Connection | None) -> dict:
    """Store annotations, broadcast them and then the summary of each message they annotate; their serials.

    Annotations count as published messages (stats), as Ably bills them.
    """
    require_enabled(world, name)
    channel = world.channel(name)
    for annotation in annotations:
        annotation["serial"] = channel.annotations.next_serial(channel.log.head_serial)
        channel.annotations.add(annotation)
    transport = "rest" if origin is None else "realtime"
    world.stats.published(name, transport, "messages", len(annotations), sum(map(message_size, annotations)))
    skip = origin if origin is not None and not origin.echo else None
    frame = without_none(
        {
            "action": Action.ANNOTATION,
            "channel": name,
            "connectionId": origin.id if origin is not None else None,
            "timestamp": annotations[0]["timestamp"],
            "annotations": annotations,
        }
    )
    world.broadcast(channel, frame, Flag.ANNOTATION_SUBSCRIBE, skip=skip)
    for serial in dict.fromkeys(annotation["messageSerial"] for annotation in annotations):
        summary = summary_message(channel, serial)
        world.broadcast(
            channel,
            {"action": Action.MESSAGE, "channel": name, "timestamp": now_ms(), "messages": [summary]},
            Flag.SUBSCRIBE,
        )
    return {"serials": [annotation["serial"] for annotation in annotations]}


def summary_message(channel: Channel, serial: str) -> dict:
    """The `message.summary` of the message with `serial`: its latest version with every type's summary."""
    message = latest(channel, serial) or {"serial": serial}
    return {
        **{key: value for key, value in message.items() if key != "version"},
        "action": MessageAction.SUMMARY,
        "annotations": {"summary": summarize(channel.annotations.of(serial))},
    }


def summary_of(channel: Channel, serial: str) -> dict | None:
    """The `annotations` field of a message's latest version: its summary, once it has annotations."""
    annotations = channel.annotations.of(serial)
    return {"summary": summarize(annotations)} if annotations else None


def summarize(annotations: list[dict]) -> dict:
    """Every type's summary after `annotations` (creates and deletes, in order), in the shapes the SDKs read."""
    by_type: dict[str, list[dict]] = {}
    for annotation in annotations:
        by_type.setdefault(annotation["type"], []).append(annotation)
    return {kind: SUMMARIES[kind.rpartition(":")[2]](events) for kind, events in by_type.items()}


def _total(events: list[dict]) -> dict:
    """total.v1: how many annotations there are (a delete takes one away)."""
    total = 0
    for event in events:
        total = total + 1 if event["action"] == AnnotationAction.CREATE else max(total - 1, 0)
    return {"total": total}


def _flag(events: list[dict]) -> dict:
    """flag.v1: the clients that flagged the message, each once."""
    clients: dict[str, None] = {}
    for event in events:
        if event["action"] == AnnotationAction.CREATE:
            clients[event["clientId"]] = None
        else:
            clients.pop(event["clientId"], None)
    return _client_list(list(clients))


def _distinct(events: list[dict]) -> dict:
    """distinct.v1: per name, the clients that published it, each once."""
    names: dict[str, dict[str, None]] = {}
    for event in events:
        clients = names.setdefault(event.get("name", ""), {})
        if event["action"] == AnnotationAction.CREATE:
            clients[event["clientId"]] = None
        else:
            clients.pop(event["clientId"], None)
    return {name: _client_list(list(clients)) for name, clients in names.items() if clients}


def _unique(events: list[dict]) -> dict:
    """unique.v1: per name, the clients whose one annotation of the type is that name (a new one replaces it)."""
    chosen: dict[str, str] = {}
    for event in events:
        if event["action"] == AnnotationAction.CREATE:
            chosen.pop(event["clientId"], None)
            chosen[event["clientId"]] = event.get("name", "")
        elif event.get("name") in (None, chosen.get(event["clientId"])):
            chosen.pop(event["clientId"], None)
    names: dict[str, list[str]] = {}
    for client, name in chosen.items():
        names.setdefault(name, []).append(client)
    return {name: _client_list(clients) for name, clients in names.items()}


def _multiple(events: list[dict]) -> dict:
    """multiple.v1: per name, every client's count added up (unidentified clients' counts apart)."""
    names: dict[str, dict] = {}
    for event in events:
        entry = names.setdefault(event.get("name", ""), {"clientIds": {}, "totalUnidentified": 0})
        client, count = event.get("clientId"), event.get("count", 1)
        if event["action"] == AnnotationAction.DELETE:
            entry["clientIds"].pop(client, None)
        elif client is None:
            entry["totalUnidentified"] += count
        else:
            entry["clientIds"][client] = entry["clientIds"].get(client, 0) + count
    return {
        name: {
            "total": sum(entry["clientIds"].values()) + entry["totalUnidentified"],
            "clientIds": entry["clientIds"],
            "totalUnidentified": entry["totalUnidentified"],
            "clipped": False,
            "totalClientIds": len(entry["clientIds"]),
        }
        for name, entry in names.items()
        if entry["clientIds"] or entry["totalUnidentified"]
    }


def _client_list(clients: list[str]) -> dict:
    return {"total": len(clients), "clientIds": clients, "clipped": False}


SUMMARIES = {
    "total.v1": _total,
    "flag.v1": _flag,
    "distinct.v1": _distinct,
    "unique.v1": _unique,
    "multiple.v1": _multiple,
}
