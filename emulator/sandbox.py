"""Ably's test-app provisioning API (`POST /apps`, `DELETE /apps/{id}`), so the official SDK suites can run here.

Each app is a `World` of its own (keys, tokens, channels, connections), so two apps' channels of the same name are
distinct. A request is routed to an app by the key or token it carries; anything else goes to the default world.
"""

import base64
import binascii
import dataclasses
import json
import logging
import secrets

from aiohttp import web

from . import errors
from .auth import FULL_CAPABILITY, canonical_capability, now_ms, parse_capability
from .errors import AblyError
from .jwt import key_name as jwt_key_name
from .lifecycle import discard
from .presence import record_events
from .protocol import PresenceAction
from .rest import basic_key
from .state import World

log = logging.getLogger(__name__)

FIXTURE_CONNECTION_ID = "fixtures"


class Sandbox:
    """The apps created through `POST /apps`, each isolated in its own World, plus the default world."""

    def __init__(self, default: World):
        self.default = default
        self.apps: dict[str, World] = {}
        self.specs: dict[str, dict] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/apps", self.create_app), web.delete("/apps/{app_id}", self.delete_app)]

    async def create_app(self, request: web.Request) -> web.Response:
        try:
            spec = json.loads(await request.read() or b"{}")
        except ValueError:
            raise errors.INVALID_REQUEST_BODY("App spec must be JSON") from None
        if not isinstance(spec, dict):
            raise errors.INVALID_REQUEST_BODY("App spec must be an object")
        # ably-js's ABLY_LOCAL_SANDBOX_URL harness routes its clients to the endpoint/port/tls of the answer.
        where = {"endpoint": request.url.host, "port": request.url.port, "tls": request.secure}
        return web.json_response({**self.create(spec), **where}, status=201)

    async def delete_app(self, request: web.Request) -> web.Response:
        app_id = request.match_info["app_id"]
        world = self.apps.get(app_id)
        key = basic_key(request)
        if world is None:
            raise errors.NOT_FOUND(f"No app {app_id!r}")
        if key is None:
            raise errors.UNAUTHORIZED()
        world.authority.with_key(key)
        self.delete(app_id)
        return web.Response(status=204)

    def create(self, spec: dict) -> dict:
        """Create an app from a test-app spec (keys, namespaces, channels with presence, limits); its description."""
        app_id = _fresh_id(self.apps)
        keys = []
        for index, key_spec in enumerate(spec.get("keys") or [{}]):
            key_id = f"key{index}"
            capability = parse_capability(key_spec.get("capability") or FULL_CAPABILITY)
            keys.append((key_id, secrets.token_urlsafe(24), capability, key_spec))
        config = dataclasses.replace(
            self.default.config,
            keys=[f"{app_id}.{key_id}:{secret}" for key_id, secret, _, _ in keys],
            key_capabilities={f"{app_id}.{key_id}": capability for key_id, _, capability, _ in keys},
            revocable_keys=[f"{app_id}.{key_id}" for key_id, _, _, spec in keys if spec.get("revocableTokens")],
            push_namespaces=[ns["id"] for ns in spec.get("namespaces") or [] if _rule_on(ns, "pushEnabled")],
            mutable_namespaces=[ns["id"] for ns in spec.get("namespaces") or [] if _rule_on(ns, "mutableMessages")],
        )
        world = World(config)
        for channel_spec in spec.get("channels") or []:
            _add_presence_fixtures(world, channel_spec)
        self.apps[app_id] = world
        self.specs[app_id] = spec
        log.info("sandbox: created app %s with %d keys", app_id, len(keys))
        return {
            "id": app_id,
            "appId": app_id,
            "accountId": "emulator",
            "name": spec.get("name", app_id),
            "status": "enabled",
            "tlsOnly": False,
            "created": now_ms(),
            "keys": [_describe_key(app_id, *key) for key in keys],
            "namespaces": spec.get("namespaces") or [],
            "channels": spec.get("channels") or [],
            "limits": spec.get("limits") or {},
        }

    def delete(self, app_id: str) -> None:
        """Remove an app: its connections are closed and its channels, keys and tokens forgotten."""
        world = self.apps.pop(app_id)
        self.specs.pop(app_id, None)
        for connection in list(world.connections.values()):
            transport = connection.transport
            discard(world, connection)
            if transport is not None:
                transport.drop()
        log.info("sandbox: deleted app %s", app_id)

    def worlds(self) -> list[World]:
        return [self.default, *self.apps.values()]

    def world_for(self, request: web.Request) -> World:
        """The world a request belongs to, by the key name or token it presents (default world otherwise)."""
        key_name = request.match_info.get("key_name") or _key_name(_routing_key(request) or "")
        if key_name:
            return self.apps.get(key_name.split(".", 1)[0], self.default)
        token = request.query.get("access_token") or request.query.get("accessToken") or _bearer(request)
        kid = next(filter(None, map(jwt_key_name, _token_forms(token))), None) if token else None
        if kid:  # a JWT names its app's key
            return self.apps.get(kid.split(".", 1)[0], self.default)
        if token:
            for world in self.apps.values():
                if any(candidate in world.authority.tokens for candidate in _token_forms(token)):
                    return world
        return self.default


def _fresh_id(taken) -> str:
    app_id = f"app{secrets.token_hex(4)}"
    return app_id if app_id not in taken else _fresh_id(taken)


def _describe_key(app_id: str, key_id: str, secret: str, capability: dict, spec: dict) -> dict:
    """One key as Ably's sandbox describes it (ably-python reads id/value, ably-js keyName/keyStr)."""
    name = f"{app_id}.{key_id}"
    return {
        "id": key_id,
        "value": secret,
        "keyName": name,
        "keySecret": secret,
        "keyStr": f"{name}:{secret}",
        "capability": canonical_capability(capability),
        "expires": None,
        "status": 0,
        "privileged": bool(spec.get("privileged")),
        "revocableTokens": bool(spec.get("revocableTokens")),
    }


def _add_presence_fixtures(world: World, channel_spec: dict) -> None:
    """Members that are present on the channel until the app is deleted (e.g. `persisted:presence_fixtures`)."""
    name = channel_spec.get("name")
    members = channel_spec.get("presence") or []
    if not isinstance(name, str) or not name or not members:
        return
    channel = world.channel(name)
    timestamp = now_ms()
    entered = []
    for index, member in enumerate(members):
        record = {
            "id": f"{FIXTURE_CONNECTION_ID}:0:{index}",
            "action": PresenceAction.PRESENT,
            "clientId": member["clientId"],
            "connectionId": FIXTURE_CONNECTION_ID,
            "timestamp": timestamp,
        }
        for optional in ("data", "encoding"):
            if member.get(optional) is not None:
                record[optional] = member[optional]
        channel.presence.members[(record["clientId"], FIXTURE_CONNECTION_ID)] = record
        entered.append({**record, "action": PresenceAction.ENTER})
    record_events(channel, entered)


def _rule_on(namespace, rule: str) -> bool:
    """Whether a namespace of the app spec turns channel rule `rule` on (`pushEnabled`, `mutableMessages`)."""
    return isinstance(namespace, dict) and bool(namespace.get(rule)) and isinstance(namespace.get("id"), str)


def _routing_key(request: web.Request) -> str | None:
    """The key a request presents (Basic header or `key` query); a malformed header is refused later, not here."""
    try:
        return basic_key(request) or request.query.get("key")
    except AblyError:
        return None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def _token_forms(token: str) -> list[str]:
    """A token as presented and, when it is base64 (REST `Bearer`), decoded."""
    try:
        return [token, base64.b64decode(token, validate=True).decode()]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return [token]


def _key_name(key_text: str) -> str:
    return key_text.partition(":")[0]
