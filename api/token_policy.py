"""Least-privilege token policy: who a browser is (clientId), what it may do (capability), for how long (ttl).

Pure functions: no settings, no network. The HTTP adapter feeds them the request and the settings.
"""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import TypedDict

from api.errors import invalid_peer, invalid_session, missing_session

# The session rule, held by site/session-id.js too and by p2p/rules.py through this module; all three are tested
# against tests/protocol/vectors/sessions.json. Matched whole (fullmatch): with `match`, `$` also matches before a
# trailing newline, so `abc\n` would pass.
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)

CHANNEL_PREFIX = "p2p:"
# Only what the app does on the session channel: messages both ways, the roster (presence), rewind (history).
OPERATIONS = ("history", "presence", "publish", "subscribe")
# Inboxes (docs/architecture.md, "Messages"): anyone in the session may post to any inbox, read only its own.
INBOX_SEGMENT = ":inbox:"

# 128 random bits, URL-safe: long enough that nobody can guess another browser's identity.
_CLIENT_ID_BYTES = 16

# The secret a page keeps for its connection (see client_id_for_peer): at least 128 bits, URL-safe.
PEER_PATTERN = r"^[A-Za-z0-9_-]{22,128}$"
_PEER = re.compile(PEER_PATTERN)


def new_client_id() -> str:
    """Return a fresh random clientId; the browser learns it from its connection, it never chooses one."""
    return secrets.token_urlsafe(_CLIENT_ID_BYTES)


def is_valid_session_id(session: object) -> bool:
    """True when `session` names a session this API issues tokens for."""
    return isinstance(session, str) and _SESSION_ID.fullmatch(session) is not None


def channel_name_for(session: str) -> str:
    """The Ably channel of a session's messages and roster: `p2p:<session>` (ValueError for an invalid id)."""
    if not is_valid_session_id(session):
        raise ValueError(f"Invalid session id: {session!r}")
    return f"{CHANNEL_PREFIX}{session}"


def inbox_channel_for(session: str, client_id: str) -> str:
    """The inbox of one peer in a session: anyone in the session may publish to it, only that peer may subscribe."""
    return f"{channel_name_for(session)}{INBOX_SEGMENT}{client_id}"


def parse_session(raw: str | None) -> str:
    """Return the session id named by a request, or raise an ApiError (400) when it is absent or invalid.

    Required: the site always names its session, and a token without one would need a wildcard capability.
    """
    if raw is None:
        raise missing_session(SESSION_ID_PATTERN)
    if not is_valid_session_id(raw):
        raise invalid_session(SESSION_ID_PATTERN)
    return raw


def parse_peer(raw: str | None) -> str | None:
    """Return the page secret named by a request (None when absent), or raise an ApiError (400) when malformed."""
    if raw is None:
        return None
    if not _PEER.fullmatch(raw):
        raise invalid_peer(PEER_PATTERN)
    return raw


def client_id_for_peer(peer: str, session: str, key: str) -> str:
    """Return the clientId of the page that holds `peer`, a random secret it sends with every token request.

    Why: ably-js renews its token through the same authUrl and fails the connection (40102) if the new token names
    another clientId, so a page must get the same clientId every time. It cannot simply name it: clientIds are
    public (presence, messages), and naming the host's would let anyone act as the host. Deriving it as
    HMAC(key secret, session, peer) gives the page a stable clientId that nobody else can obtain, since finding a
    `peer` for a given clientId means inverting HMAC-SHA256, and nobody can choose the clientId they get.
    """
    secret = key.split(":", 1)[1]
    digest = hmac.new(secret.encode(), f"clientId\n{session}\n{peer}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_CLIENT_ID_BYTES]).rstrip(b"=").decode()


def capability(session: str, client_id: str) -> dict[str, list[str]]:
    """Return the capability of `client_id`: its session's channel, publish to the session's inboxes, and
    subscribe to its own inbox only, so a message sent to one peer cannot be read by another.

    Ably unites the operations of every resource matching a channel, so the own inbox gets publish (from the
    wildcard) and subscribe. No inbox gets history, which would let a token read it over REST.
    """
    return {
        channel_name_for(session): list(OPERATIONS),
        inbox_channel_for(session, "*"): ["publish"],
        inbox_channel_for(session, client_id): ["subscribe"],
    }


class TokenParams(TypedDict):
    """What ably-python's create_token_request reads, under the snake_case names it looks for."""

    client_id: str
    capability: dict[str, list[str]]
    ttl: timedelta


def token_params(session: str, ttl_seconds: int, client_id: str | None = None) -> TokenParams:
    """Return the token params for ably-python's create_token_request (snake_case keys; ttl as a timedelta), for
    `client_id` (from client_id_for_peer) or a new random one.

    ably-python reads `client_id`, `ttl` and `capability`; camelCase keys such as `clientId` are silently
    ignored, which would sign an anonymous token.
    """
    client_id = client_id or new_client_id()
    return {
        "client_id": client_id,
        "capability": capability(session, client_id),
        "ttl": timedelta(seconds=ttl_seconds),
    }
