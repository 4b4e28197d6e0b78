"""A connection's life beyond one socket: resume takeover, transport loss, timers, token expiry, discarding."""

import asyncio

from . import errors
from .auth import Credentials, now_ms
from .channels import detach
from .presence import leave_connection
from .protocol import Action
from .state import Connection, ConnectionState, World


def resume(world: World, connection: Connection, credentials: Credentials, echo: bool, fmt: str) -> Connection:
    """Take a connection over: same connectionId, fresh key; its channels stay paused until re-ATTACHed."""
    if connection.transport is not None:
        old = connection.transport
        transport_lost(world, connection)
        old.drop()
    connection.cancel_timers()
    connection.move_to(ConnectionState.CONNECTED)
    connection.credentials, connection.echo, connection.fmt = credentials, echo, fmt
    connection.mint_key()
    return connection


def transport_lost(world: World, connection: Connection) -> None:
    """The socket is gone without CLOSE: pause delivery, and start the presence-leave and state-TTL clocks."""
    connection.transport = None
    if connection.state is not ConnectionState.CONNECTED:
        return
    connection.move_to(ConnectionState.DISCONNECTED)
    for name in connection.channels:
        channel = world.channels.get(name)
        if channel is not None:
            channel.subscribers.pop(connection.id, None)
    connection.cancel_timers()
    loop = asyncio.get_running_loop()
    connection.timers["presence"] = loop.call_later(
        presence_grace(world, connection), leave_everywhere, world, connection
    )
    connection.timers["ttl"] = loop.call_later(world.config.connection_state_ttl, discard, world, connection)


def presence_grace(world: World, connection: Connection) -> float:
    """How long members of a dropped connection stay present: its `remainPresentFor`, else the configured time."""
    if connection.remain_present_for is not None:
        return connection.remain_present_for
    return world.config.presence_leave_timeout


def leave_everywhere(world: World, connection: Connection) -> None:
    for channel in list(world.channels.values()):
        leave_connection(world, channel, connection.id)


def discard(world: World, connection: Connection) -> None:
    """Forget a connection for good (CLOSE, TTL passed, fatal error): its members leave, it cannot resume."""
    if connection.state is ConnectionState.CLOSED:
        return
    connection.cancel_timers()
    for name in list(connection.channels):
        detach(world, connection, name)
    leave_everywhere(world, connection)
    connection.move_to(ConnectionState.CLOSED)
    connection.transport = None
    world.connections.pop(connection.id, None)


def schedule_token_expiry(world: World, connection: Connection) -> None:
    """At the token's expiry send DISCONNECTED 40142 (the SDK renews and resumes); optionally AUTH before it."""
    connection.cancel_timer("token")
    connection.cancel_timer("reauth")
    token = connection.credentials.token
    if token is None:
        return
    loop = asyncio.get_running_loop()
    delay = max((token.expires - now_ms()) / 1000, 0)
    connection.timers["token"] = loop.call_later(delay, expire_connection, connection)
    ahead = world.config.reauth_before_expiry
    if ahead and delay > ahead:
        connection.timers["reauth"] = loop.call_later(delay - ahead, connection.send, {"action": Action.AUTH})


def expire_connection(connection: Connection) -> None:
    """Disconnect a connection whose token has expired (no-op when it was renewed or has no transport)."""
    token = connection.credentials.token
    if token is not None and token.expires <= now_ms() and connection.transport is not None:
        connection.transport.disconnect(errors.TOKEN_EXPIRED())


def describe(connection: Connection) -> dict:
    return {
        "connectionId": connection.id,
        "clientId": connection.client_id,
        "state": connection.state.value,
        "channels": sorted(connection.channels),
    }
