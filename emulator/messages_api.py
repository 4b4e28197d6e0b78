"""REST for single messages: get one (its latest version), its versions, update / delete / append it (`PATCH`), and
its annotations (publish, list)."""

from aiohttp import web

from . import errors
from .annotations import rest_publish, summary_of
from .channels import rest_message_id
from .mutable import change, every_version, latest, require_enabled
from .rest import MAX_HISTORY_LIMIT, channel_for, int_param, page_links, read_body, reply
from .state import World

MESSAGE = "/channels/{channel}/messages/{serial}"
# A PATCH needs one of these to go further; which one the change needs is decided with the message (mutable.py).
CHANGE_OPERATIONS = ("message-update-any", "message-update-own", "message-delete-any", "message-delete-own")


class MessagesApi:
    """The single-message REST handlers, bound to one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(MESSAGE, self.get_message),
            web.patch(MESSAGE, self.change_message),
            web.get(MESSAGE + "/versions", self.versions),
            web.post(MESSAGE + "/annotations", self.publish_annotations),
            web.get(MESSAGE + "/annotations", self.annotations),
        ]

    async def get_message(self, request: web.Request) -> web.Response:
        """The message's latest version, with its annotation summary once it has one; 404 40400 if unknown."""
        _, name = channel_for(self.world, request, "history")
        serial = request.match_info["serial"]
        channel = self.world.channels.get(name)
        message = latest(channel, serial) if channel is not None else None
        if channel is None or message is None:
            raise errors.MESSAGE_NOT_FOUND(f"No message with serial {serial!r} on channel {name!r}")
        annotations = summary_of(channel, serial)
        return reply(request, {**message, "annotations": annotations} if annotations else message)

    async def change_message(self, request: web.Request) -> web.Response:
        """Update, delete or append (the body's `action`); `{"versionSerial": ...}`."""
        credentials, name = channel_for(self.world, request, CHANGE_OPERATIONS)
        body = await read_body(request)
        if not isinstance(body, dict):
            raise errors.INVALID_REQUEST_BODY("Send the message's new version as an object")
        serial = request.match_info["serial"]
        version = change(self.world, name, body, serial, credentials, credentials.client_id, None)
        return reply(request, {"versionSerial": version})

    async def versions(self, request: web.Request) -> web.Response:
        """Every version of the message, as published first (one page: a message has few versions)."""
        _, name = channel_for(self.world, request, "history")
        serial = request.match_info["serial"]
        channel = self.world.channels.get(name)
        versions = every_version(channel, serial) if channel is not None else None
        if versions is None:
            raise errors.MESSAGE_NOT_FOUND(f"No message with serial {serial!r} on channel {name!r}")
        limit = int_param(request, "limit", 100, 1, MAX_HISTORY_LIMIT)
        return reply(request, versions[:limit], headers={"Link": page_links(request, None)})

    async def publish_annotations(self, request: web.Request) -> web.Response:
        """Publish an annotation (or an array) on the message; 201."""
        credentials, name = channel_for(self.world, request, "annotation-publish")
        body = await read_body(request)
        result = rest_publish(self.world, credentials, name, request.match_info["serial"], body, rest_message_id())
        return reply(request, result, 201)

    async def annotations(self, request: web.Request) -> web.Response:
        """The message's annotations (creates and deletes) oldest first, in pages of `limit` with `Link`s."""
        _, name = channel_for(self.world, request, ("history", "subscribe"))
        require_enabled(self.world, name)
        limit = int_param(request, "limit", 100, 1, MAX_HISTORY_LIMIT)
        start = int_param(request, "cursor", 0, 0)
        channel = self.world.channels.get(name)
        annotations = channel.annotations.of(request.match_info["serial"]) if channel is not None else []
        page = annotations[start : start + limit]
        more = start + limit if start + limit < len(annotations) else None
        return reply(request, page, headers={"Link": page_links(request, more)})
