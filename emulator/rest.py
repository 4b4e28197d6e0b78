"""Ably's REST API as the SDKs call it: time, requestToken, channel history, presence and publish."""

import base64
import binascii
import logging
from typing import overload
from urllib.parse import urlencode

import msgpack
from aiohttp import web

from . import errors
from .auth import Credentials, now_ms, permits
from .channels import client_id_for, publish, rest_message_id, stamp, supplied_ids, valid_channel_name
from .errors import AblyError
from .jwt import is_jwt, token_credentials
from .protocol import JSON, MSGPACK, PresenceAction, encode_body, parse_json
from .state import World

log = logging.getLogger(__name__)

MSGPACK_TYPE = "application/x-msgpack"
JSON_TYPE = "application/json"
MAX_HISTORY_LIMIT = 1000
LINK_IGNORED_PARAMS = {"rnd", "envelope", "cursor"}


def response_format(request: web.Request) -> str:
    return MSGPACK if MSGPACK_TYPE in request.headers.get("Accept", "") else JSON


def reply(request: web.Request, body, status: int = 200, headers: dict | None = None) -> web.Response:
    """Answer in the client's format; `envelope=json` wraps status, body and headers in a 200 (browsers)."""
    headers = dict(headers or {})
    if request.query.get("envelope") == "json":
        body = {"statusCode": status, "response": body, "headers": {k.lower(): v for k, v in headers.items()}}
        status, headers = 200, {}
        fmt = JSON
    else:
        fmt = response_format(request)
    content_type = MSGPACK_TYPE if fmt == MSGPACK else JSON_TYPE
    return web.Response(status=status, body=encode_body(body, fmt), headers=headers, content_type=content_type)


def error_reply(request: web.Request, exc: AblyError, **fields) -> web.Response:
    """An Ably error answer: `{"error": ErrorInfo, **fields}` with `X-Ably-Errorcode` and `X-Ably-Errormessage`."""
    headers = {
        "X-Ably-Errorcode": str(exc.code),
        "X-Ably-Errormessage": exc.message.encode("ascii", "replace").decode(),
    }
    return reply(request, {"error": exc.to_dict(), **fields}, exc.status, headers)


async def read_body(request: web.Request):
    """The request body decoded by its Content-Type (msgpack or JSON)."""
    raw = await request.read()
    try:
        if request.content_type == MSGPACK_TYPE:
            return msgpack.unpackb(raw, raw=False)
        return parse_json(raw)
    except Exception as exc:  # json and msgpack raise several unrelated types for malformed input
        raise errors.INVALID_REQUEST_BODY(f"Unable to decode request body: {exc}") from None


def basic_key(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.INVALID_CREDENTIALS("Malformed Basic authorization header") from None


def credentials_for(world: World, request: web.Request) -> Credentials:
    """Authenticate a REST request: `Bearer <base64 token>` (or the raw token; an Ably token or a JWT) or
    `Basic <base64 key>`."""
    key = basic_key(request)
    if key is not None:
        credentials = world.authority.with_key(key)
        header_client_id = request.headers.get("X-Ably-ClientId")
        if header_client_id:
            try:
                credentials.client_id = base64.b64decode(header_client_id).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise errors.INVALID_CLIENT_ID("X-Ably-ClientId must be base64") from None
        return credentials
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        presented = header[7:].strip()
        try:
            decoded = base64.b64decode(presented, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        if decoded and (decoded in world.authority.tokens or is_jwt(decoded)):
            return token_credentials(world.authority, decoded)
        return token_credentials(world.authority, presented)
    raise errors.UNAUTHORIZED()


def channel_for(world: World, request: web.Request, operation: str | tuple[str, ...]) -> tuple[Credentials, str]:
    credentials = credentials_for(world, request)
    name = valid_channel_name(request.match_info["channel"])
    operations = (operation,) if isinstance(operation, str) else operation
    if not any(permits(credentials.capability, name, op) for op in operations):
        raise errors.CAPABILITY_DENIED(f"Permission denied: {'/'.join(operations)} on channel {name!r}")
    return credentials, name


@overload
def int_param(
    request: web.Request, name: str, default: int, low: int | None = None, high: int | None = None
) -> int: ...


@overload
def int_param(
    request: web.Request, name: str, default: None = None, low: int | None = None, high: int | None = None
) -> int | None: ...


def int_param(
    request: web.Request, name: str, default: int | None = None, low: int | None = None, high: int | None = None
) -> int | None:
    value = request.query.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise errors.INVALID_PARAMETER(f"Invalid {name} {value!r}: must be an integer") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise errors.INVALID_PARAMETER(f"Invalid {name} {value!r}: must be between {low} and {high}")
    return number


def direction_param(request: web.Request) -> str:
    """A paged request's `direction`: backwards (the default) or forwards; anything else → 40003."""
    direction = request.query.get("direction", "backwards")
    if direction not in ("backwards", "forwards"):
        raise errors.INVALID_PARAMETER(f"Invalid direction {direction!r}: use backwards or forwards")
    return direction


def page_links(request: web.Request, next_cursor: int | None) -> str:
    """The `Link` header of a page: first, current and (with `next_cursor`) next, relative to the path.

    Each link names the response's `format`, as Ably's do, so none has an empty query: ably-js drops such a link,
    and `current()` on a page asked for without params (as @ably/spaces reads cursor history) would then fail.
    """
    params = {k: v for k, v in request.query.items() if k not in LINK_IGNORED_PARAMS}
    params["format"] = response_format(request)
    path = request.path.rsplit("/", 1)[-1]
    links = [f'<./{path}?{urlencode(params)}>; rel="first"']
    current = dict(params, **({"cursor": request.query["cursor"]} if "cursor" in request.query else {}))
    links.append(f'<./{path}?{urlencode(current)}>; rel="current"')
    if next_cursor is not None:
        links.append(f'<./{path}?{urlencode({**params, "cursor": next_cursor})}>; rel="next"')
    return ", ".join(links)


class RestApi:
    """The REST handlers, bound to one world."""

    def __init__(self, world: World):
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/time", self.time),
            web.post("/keys/{key_name}/requestToken", self.request_token),
            web.get("/channels/{channel}/messages", self.history),
            web.post("/channels/{channel}/messages", self.publish),
            web.get("/channels/{channel}/presence", self.presence),
            web.get("/channels/{channel}/presence/history", self.presence_history),
            web.get("/is-the-internet-up.txt", self.internet_up),
        ]

    async def time(self, request: web.Request) -> web.Response:
        return reply(request, [now_ms()])

    async def internet_up(self, request: web.Request) -> web.Response:
        """The connectivity check ably-js makes when a connection is slow (`connectivityCheckUrl`)."""
        return web.Response(text="yes\n")

    async def request_token(self, request: web.Request) -> web.Response:
        """Exchange a signed TokenRequest (or TokenParams with Basic auth) for TokenDetails."""
        body = await read_body(request)
        key = basic_key(request)
        basic = self.world.authority.with_key(key) if key is not None else None
        token = self.world.authority.request_token(request.match_info["key_name"], body, basic)
        return reply(request, token.details())

    async def history(self, request: web.Request) -> web.Response:
        """A page of channel history with `Link` headers for the first, current and next pages."""
        _, name = channel_for(self.world, request, "history")
        return self._history_page(request, name, lambda channel: channel.log, lambda channel: channel.versions.shown)

    async def presence_history(self, request: web.Request) -> web.Response:
        """A page of presence events (enter, update, leave), paged like message history."""
        _, name = channel_for(self.world, request, "history")
        return self._history_page(request, name, lambda channel: channel.presence_log)

    def _history_page(self, request: web.Request, name: str, log_of, shown_of=lambda channel: None) -> web.Response:
        """A page of `log_of(channel)`, showing of each entry what `shown_of(channel)` gives (all as logged)."""
        direction = direction_param(request)
        limit = int_param(request, "limit", 100, 1, MAX_HISTORY_LIMIT)
        start = int_param(request, "start")
        end = int_param(request, "end")
        if start is not None and end is not None and start > end:
            raise errors.INVALID_PARAMETER("start must not be later than end")
        cursor = int_param(request, "cursor", None, 0)
        if cursor is None and direction == "backwards":
            until = int_param(request, "from_serial" if request.query.get("from_serial") else "fromSerial", None, 0)
            cursor = None if until is None else until + 1
        channel = self.world.channels.get(name)
        if channel is None:
            return reply(request, [], headers={"Link": page_links(request, None)})
        page, next_cursor = log_of(channel).query(start, end, direction == "forwards", limit, cursor, shown_of(channel))
        return reply(request, page, headers={"Link": page_links(request, next_cursor)})

    async def publish(self, request: web.Request) -> web.Response:
        """Publish one message or an array; 201 with the message id base and the assigned serials."""
        credentials, name = channel_for(self.world, request, "publish")
        body = await read_body(request)
        if request.query.get("_forceNack") == "true":
            raise errors.FORCED_NACK()
        result = self.publish_to(credentials, name, body)
        self.world.stats.add(name, "bytes_in", request.content_length or 0)
        return reply(request, result, 201)

    def publish_to(self, credentials: Credentials, name: str, body) -> dict:
        """Publish a message object or an array of them on `name` (checked); `{channel, messageId, serials}`."""
        items = body if isinstance(body, list) else [body]
        if not items or not all(isinstance(item, dict) for item in items):
            raise errors.INVALID_REQUEST_BODY("Publish a message object or a non-empty array of them")
        base = rest_message_id()
        timestamp = now_ms()
        messages = [
            stamp(
                item,
                f"{base}:{index}",
                client_id_for(credentials.client_id, credentials.is_wildcard, item),
                self._on_behalf_of(item),
                timestamp,
            )
            for index, item in enumerate(items)
        ]
        result = publish(self.world, name, messages, None, None, None, supplied_ids(items))
        return {"channel": name, "messageId": base, **result}

    def _on_behalf_of(self, item: dict) -> str | None:
        """The connectionId a message is published as: that of the realtime connection its `connectionKey` names.

        :raises AblyError: 40006 when the key names no live connection (spec TM2h).
        """
        key = item.get("connectionKey")
        if key is None:
            return None
        connection = self.world.find_by_key(key) if isinstance(key, str) else None
        if connection is None:
            raise errors.INVALID_CONNECTION_KEY(f"Invalid connectionKey {key!r}: no such connection")
        return connection.id

    async def presence(self, request: web.Request) -> web.Response:
        """The channel's current members, as PresenceMessages with action `present`."""
        _, name = channel_for(self.world, request, ("subscribe", "presence"))
        limit = int_param(request, "limit", 100, 1, MAX_HISTORY_LIMIT)
        return reply(
            request, self.members(name, request.query.get("clientId"), request.query.get("connectionId"), limit)
        )

    def members(self, name: str, client_id: str | None, connection_id: str | None, limit: int) -> list[dict]:
        """The channel's current members (those of `client_id`, `connection_id`) as PresenceMessages, `present`."""
        channel = self.world.channels.get(name)
        members = channel.presence.query(client_id, connection_id, limit) if channel is not None else []
        return [{**member, "action": PresenceAction.PRESENT} for member in members]


CORS_EXPOSED = "Link, X-Ably-Errorcode, X-Ably-Errormessage, X-Ably-Serverid"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """CORS with credentials for every response (ably-js sets `withCredentials` when it sends Authorization)."""
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED


@web.middleware
async def ably_errors(request: web.Request, handler):
    """Answer preflights; turn every failure into an Ably error body with `X-Ably-Errorcode`."""
    if request.method == "OPTIONS":
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers", "*"),
                "Access-Control-Max-Age": "600",
            },
        )
    try:
        return await handler(request)
    except AblyError as exc:
        log.info("%s %s → %s", request.method, request.path, exc)
        return error_reply(request, exc)
    except web.HTTPNotFound:
        return error_reply(request, errors.NOT_FOUND(f"No such resource: {request.path}"))
    except web.HTTPMethodNotAllowed:
        # Ably answers a known path with another method as it answers an unknown path (ably-js `request_404`).
        return error_reply(request, errors.NOT_FOUND(f"No such resource: {request.method} {request.path}"))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s: internal error", request.method, request.path)
        return error_reply(request, errors.INTERNAL_ERROR())
