"""The realtime endpoint: the WebSocket handshake (auth, resume or new connection) and one handler per action."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import WSCloseCode, WSMsgType, web

from . import errors
from .annotations import on_annotation
from .auth import Credentials
from .channels import on_attach, on_detach, on_message, on_sync, recheck_capabilities, valid_channel_name
from .errors import AblyError
from .jwt import token_credentials
from .lifecycle import discard, resume, schedule_token_expiry, transport_lost
from .mutable import is_change, on_change
from .occupancy_events import on_attached
from .presence import on_presence
from .protocol import FORMATS, JSON, Action, decode
from .state import Connection, World, well_formed_key
from .transport import Limits, WebSocketTransport

log = logging.getLogger(__name__)

MIN_PROTOCOL_VERSION = 2
HARD_LIMIT_FACTOR = 4
HARD_LIMIT_FLOOR = 1024 * 1024
CLOSE_TIMEOUT = 2.0


class RealtimeSession:
    """One WebSocket and the connection it carries (a resumed connection outlives earlier sessions)."""

    def __init__(self, world: World, transport: WebSocketTransport, connection: Connection):
        self.world = world
        self.transport = transport
        self.connection = connection
        self.frame_size = 0

    async def serve(self) -> None:
        """Read frames in order until the socket ends; a bad frame or a handler bug ends only this connection."""
        ws = self.transport.ws
        async for frame in ws:
            if self.transport.closing:
                break
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                if frame.type == WSMsgType.ERROR:
                    log.warning("connection %s: websocket error %s", self.connection.id, ws.exception())
                    if getattr(ws.exception(), "code", None) == WSCloseCode.MESSAGE_TOO_BIG:
                        self.end(errors.MESSAGE_TOO_LARGE("WebSocket frame too large; connection closed"))
                break
            self.frame_size = len(frame.data)
            try:
                message = decode(frame.data)
                try:
                    self.dispatch(message)
                finally:  # after dispatch: a channel is counted only once it exists (past the capability check)
                    self.world.stats.add(_channel_of(message), "bytes_in", self.frame_size)
            except AblyError as exc:
                log.warning("connection %s: refused frame: %s", self.connection.id, exc)
                self.end(exc)
            except Exception:
                log.exception("connection %s: internal error handling a frame", self.connection.id)
                self.end(errors.INTERNAL_ERROR())

    def dispatch(self, message: dict) -> None:
        action = message.get("action")
        handler = HANDLERS.get(action) if type(action) is int else None
        if handler is None:
            raise errors.BAD_REQUEST(f"Unknown or missing protocol action {action!r}")
        handler(self, message)

    def end(self, error: AblyError) -> None:
        """A fatal protocol error: send ERROR, close the socket and forget the connection (it cannot resume)."""
        self.transport.fail(Action.ERROR, error)
        discard(self.world, self.connection)

    def reply(self, message: dict) -> None:
        self.connection.send(message)

    @staticmethod
    def channel_name(message: dict, action: str) -> str:
        """The frame's channel name; a frame with none cannot be answered on a channel, so it fails the connection.

        A string that is not a valid name is the channel's error (40010 on that channel), as on Ably.
        """
        name = message.get("channel")
        if not isinstance(name, str):
            raise errors.INVALID_CHANNEL_NAME(f"{action} needs a channel name (a string), got {name!r}")
        return name

    def on_heartbeat(self, message: dict) -> None:
        """Echo heartbeats that carry an `id` (`connection.ping()`); others need no answer."""
        if message.get("id") is not None:
            self.reply({"action": Action.HEARTBEAT, "id": message["id"]})

    def on_attach(self, message: dict) -> None:
        name = self.channel_name(message, "ATTACH")
        try:
            on_attach(self.world, self.connection, message, valid_channel_name(name))
            on_attached(self.world, self.connection, name, message.get("params"))
        except AblyError as exc:
            log.info("connection %s: attach to %r refused: %s", self.connection.id, name, exc)
            self.reply({"action": Action.ERROR, "channel": name, "error": exc.to_dict()})

    def on_detach(self, message: dict) -> None:
        name = self.channel_name(message, "DETACH")
        try:
            on_detach(self.world, self.connection, valid_channel_name(name))
        except AblyError as exc:
            self.reply({"action": Action.ERROR, "channel": name, "error": exc.to_dict()})

    def on_message(self, message: dict) -> None:
        if is_change(message):
            self.acknowledge(message, lambda name: on_change(self.world, self.connection, message, name))
        else:
            self.acknowledge(
                message, lambda name: on_message(self.world, self.connection, message, name, self.frame_size)
            )

    def on_annotation(self, message: dict) -> None:
        self.acknowledge(message, lambda name: on_annotation(self.world, self.connection, message, name))

    def on_presence(self, message: dict) -> None:
        self.acknowledge(message, lambda name: on_presence(self.world, self.connection, message, name, self.frame_size))

    def on_unsupported_publish(self, message: dict) -> None:
        def refuse(name):
            raise errors.BAD_REQUEST(f"Action {message['action']} (LiveObjects) is not emulated")

        self.acknowledge(message, refuse)

    def acknowledge(self, message: dict, handle) -> None:
        """Run a publish-type handler once per msgSerial and ACK or NACK it, in order.

        A msgSerial already processed (re-sent after a resume) gets the same answer again and is not republished.
        """
        msg_serial = message.get("msgSerial")
        if type(msg_serial) is not int or msg_serial < 0:
            raise errors.BAD_REQUEST("A message that needs acknowledgement must carry an integer msgSerial")
        connection = self.connection
        if msg_serial <= connection.last_msg_serial:
            self.reply(connection.replies.get(msg_serial, {"action": Action.ACK, "msgSerial": msg_serial, "count": 1}))
            return
        try:
            result = handle(valid_channel_name(self.channel_name(message, "A publish")))
            reply: dict[str, object] = {"action": Action.ACK, "msgSerial": msg_serial, "count": 1}
            if result is not None:
                reply["res"] = [result]
        except AblyError as exc:
            log.info("connection %s: NACK msgSerial %d: %s", connection.id, msg_serial, exc)
            reply = {"action": Action.NACK, "msgSerial": msg_serial, "count": 1, "error": exc.to_dict()}
        connection.remember_reply(msg_serial, reply)
        self.reply(reply)

    def on_auth(self, message: dict) -> None:
        """In-band re-authentication: swap in a new token and confirm with CONNECTED (same connectionId)."""
        auth = message.get("auth")
        token = auth.get("accessToken") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise errors.BAD_REQUEST("AUTH needs auth.accessToken")
        try:
            credentials = token_credentials(self.world.authority, token)
        except AblyError as exc:
            self.transport.fail(Action.ERROR, exc)
            return
        if not keeps_client_id(self.connection, credentials):
            raise errors.INCOMPATIBLE_CREDENTIALS(
                f"New token clientId {credentials.client_id!r} differs from the connection's "
                f"{self.connection.client_id!r}: a connection's clientId cannot change"
            )
        self.connection.credentials = credentials
        schedule_token_expiry(self.world, self.connection)
        self.reply(connected_message(self.world, self.connection))
        recheck_capabilities(self.world, self.connection)

    def on_close(self, message: dict) -> None:
        """Graceful close: CLOSED, presence leaves at once, nothing kept for resume."""
        self.reply({"action": Action.CLOSED})
        self.transport.close()
        discard(self.world, self.connection)

    def on_disconnect(self, message: dict) -> None:
        self.transport.close()

    def on_sync(self, message: dict) -> None:
        on_sync(self.world, self.connection, self.channel_name(message, "SYNC"))

    def on_ignored(self, message: dict) -> None:
        """Actions a client may send that need no answer (ACTIVATE from 1.x)."""


HANDLERS: dict[int, Callable[[RealtimeSession, dict], None]] = {
    Action.HEARTBEAT: RealtimeSession.on_heartbeat,
    Action.ATTACH: RealtimeSession.on_attach,
    Action.DETACH: RealtimeSession.on_detach,
    Action.MESSAGE: RealtimeSession.on_message,
    Action.PRESENCE: RealtimeSession.on_presence,
    Action.OBJECT: RealtimeSession.on_unsupported_publish,
    Action.ANNOTATION: RealtimeSession.on_annotation,
    Action.AUTH: RealtimeSession.on_auth,
    Action.CLOSE: RealtimeSession.on_close,
    Action.DISCONNECT: RealtimeSession.on_disconnect,
    Action.ACTIVATE: RealtimeSession.on_ignored,
    Action.SYNC: RealtimeSession.on_sync,
}


def keeps_client_id(connection: Connection, credentials: Credentials) -> bool:
    """Whether a new token leaves the connection's identity as it is (Ably refuses any change, spec RTC8a).

    A wildcard token may replace only a wildcard token: it would otherwise widen an identified connection.
    """
    new = credentials.client_id
    return new == connection.client_id or (new == "*" and connection.credentials.client_id == "*")


def _channel_of(message: dict) -> str | None:
    channel = message.get("channel")
    return channel if isinstance(channel, str) else None


def connected_message(world: World, connection: Connection, error: AblyError | None = None) -> dict:
    config = world.config
    details = {
        "connectionKey": connection.key,
        "maxMessageSize": config.max_message_size,
        "maxInboundRate": 250,
        "maxFrameSize": config.max_frame_size,
        "serverId": "emulator",
        "connectionStateTtl": int(config.connection_state_ttl * 1000),
        "maxIdleInterval": int(config.max_idle_interval * 1000),
        "siteCode": "local",
    }
    if connection.client_id is not None:
        details["clientId"] = connection.client_id
    message = {"action": Action.CONNECTED, "connectionId": connection.id, "connectionDetails": details}
    if error is not None:
        message["error"] = error.to_dict()
    return message


async def handle_websocket(world: World, request: web.Request) -> web.StreamResponse:
    """GET / with an upgrade: authenticate, connect or resume, then serve frames until the socket ends."""
    hard_limit = max(HARD_LIMIT_FLOOR, HARD_LIMIT_FACTOR * world.config.max_frame_size)
    ws = web.WebSocketResponse(max_msg_size=hard_limit, autoping=True, compress=False, timeout=CLOSE_TIMEOUT)
    await ws.prepare(request)
    query = request.query
    fmt = query.get("format", JSON)
    config = world.config
    transport = WebSocketTransport(
        ws,
        request,
        fmt if fmt in FORMATS else JSON,
        world.stats,
        config.max_idle_interval / 2,
        Limits(config.max_frame_size, config.max_outbound_bytes),
    )
    try:
        connection, error = open_connection(world, query, fmt)
    except AblyError as exc:
        log.info("websocket refused: %s", exc)
        # A rate limit (429) is not the client's fault: DISCONNECTED, so it tries again later (rate_limits.py).
        transport.fail(Action.DISCONNECTED if exc.status == 429 else Action.ERROR, exc)
        await _finish(transport)
        return ws
    except BaseException:
        await _finish(transport)
        raise
    connection.transport = transport
    schedule_token_expiry(world, connection)
    connection.send(connected_message(world, connection, error))
    session = RealtimeSession(world, transport, connection)
    try:
        await session.serve()
    finally:
        if connection.transport is transport:
            transport_lost(world, connection)
        await _finish(transport)
    return ws


async def _finish(transport: WebSocketTransport) -> None:
    """Let the writer flush a final frame (bounded) if one was queued, then stop the transport's tasks."""
    if transport.closing and not transport.dropped:
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(transport.tasks[0]), CLOSE_TIMEOUT)
    await transport.stop()
    if not transport.ws.closed:
        await transport.ws.close()


def open_connection(world: World, query, fmt: str) -> tuple[Connection, AblyError | None]:
    """Authenticate the query and resume the connection it names, or start a new one.

    :returns: the connection and the non-fatal error CONNECTED carries (a failed resume: 80008/80018).
    :raises AblyError: fatal problems (bad credentials, token errors, bad params), sent as ERROR; too many new
        connections a second (80021), sent as DISCONNECTED.
    """
    if fmt not in FORMATS:
        raise errors.BAD_REQUEST(f"Unsupported format {fmt!r}: use json or msgpack")
    version = query.get("v")
    try:
        if version is not None and float(version) < MIN_PROTOCOL_VERSION:
            raise errors.UNSUPPORTED_PROTOCOL_VERSION(f"Protocol version {version} is not supported; use 2 or later")
    except ValueError:
        raise errors.UNSUPPORTED_PROTOCOL_VERSION(f"Invalid protocol version {version!r}") from None
    credentials = authenticate(world, query)
    client_id = resolve_client_id(credentials, query.get("clientId"))
    echo = query.get("echo", "true") != "false"
    resume_key = query.get("resume") or query.get("recover")
    error = None
    remain_present_for = _remain_present_for(query.get("remainPresentFor"), world.config.connection_state_ttl)
    connection = None
    if resume_key:
        connection = world.find_by_key(resume_key)
        if connection is not None and connection.client_id == client_id:
            connection = resume(world, connection, credentials, echo, fmt)
        elif connection is not None:
            connection, error = None, errors.INCOMPATIBLE_RESUME()
        elif not well_formed_key(resume_key):
            error = errors.MALFORMED_CONNECTION_KEY(f"Invalid connection key {resume_key!r}")
        else:
            error = errors.CONNECTION_EXPIRED()
    if connection is None:
        world.rate_limits.check_new_connection()
        connection = world.new_connection(credentials, client_id, echo, fmt)
    connection.remain_present_for = remain_present_for
    return connection, error


def _remain_present_for(value: str | None, most: float) -> float | None:
    """The `remainPresentFor` param (milliseconds members stay after an abrupt drop) in seconds, at most `most`.

    :raises AblyError: 40003 when it is not a non-negative integer.
    """
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise errors.INVALID_PARAMETER(f"Invalid remainPresentFor {value[:20]!r}: milliseconds expected")
    return min(int(value) / 1000, most)


def authenticate(world: World, query) -> Credentials:
    token = query.get("access_token") or query.get("accessToken")
    if token:
        return token_credentials(world.authority, token)
    key = query.get("key")
    if key:
        return world.authority.with_key(key)
    raise errors.UNAUTHORIZED()


def resolve_client_id(credentials: Credentials, requested: str | None) -> str | None:
    """The connection's clientId: the token's, or the one asked for when the credentials allow any."""
    if credentials.token is None or credentials.client_id == "*":
        return requested or credentials.client_id
    if requested is not None and requested != credentials.client_id:
        raise errors.INCOMPATIBLE_CREDENTIALS(
            f"clientId {requested!r} does not match the token's clientId {credentials.client_id!r}"
        )
    return credentials.client_id
