"""Ably's push admin REST API: device registrations, channel subscriptions and `POST /push/publish`.

Registrations and subscriptions are kept (in the world's `PushRegistry`) and listed as Ably lists them; a publish is
checked as Ably checks it and then goes to no push service (APNs, FCM, web push are not emulated), except to Ably's
own test transport `ablyChannel`, which Ably delivers as a `__ably_push__` message on a channel of the app.

Rights, as Ably's capabilities describe them: `push-admin` manages every device and subscription and publishes;
`push-subscribe` on a channel subscribes the caller's own device (authenticated by its deviceIdentityToken, header
`X-Ably-DeviceToken`, or its deviceSecret, `X-Ably-DeviceSecret`) or its own clientId; a device may read, update and
remove its own registration. Anything else is refused with 40160.
"""

import base64
import binascii
import secrets
from dataclasses import dataclass

from aiohttp import web

from . import errors
from .auth import Credentials, now_ms, permits
from .channels import deliver_push, valid_channel_name
from .push_registry import Device, PushRegistry, push_enabled
from .rest import MAX_HISTORY_LIMIT, credentials_for, int_param, page_links, read_body, reply
from .state import World

PLATFORMS = {"android", "ios", "browser"}
FORM_FACTORS = {"phone", "tablet", "desktop", "tv", "watch", "car", "embedded", "other"}
# What each transport needs to reach a device (Ably's push recipient fields).
TRANSPORT_FIELDS = {
    "apns": ("deviceToken",),
    "fcm": ("registrationToken",),
    "gcm": ("registrationToken",),
    "web": ("targetUrl", "encryptionKey"),
    "ablyChannel": ("channel",),
}
PAYLOAD_FIELDS = {"notification", "data", "apns", "fcm", "web"}
IDENTITY_TOKEN_TTL_MS = 10 * 365 * 24 * 3600 * 1000


@dataclass
class Caller:
    """Who a push request comes from: an app credential and/or the device it proves to be."""

    credentials: Credentials | None
    device_token: str | None
    device_secret: str | None

    def may(self, operation: str, channel: str | None = None) -> bool:
        """Whether the credentials allow `operation` on `channel`, or on some resource when no channel is named."""
        if self.credentials is None:
            return False
        capability = self.credentials.capability
        if channel is not None:
            return permits(capability, channel, operation)
        return any("*" in ops or operation in ops for ops in capability.values())

    def is_device(self, device: Device | None) -> bool:
        """Whether the request proves to come from `device` (its identity token or its secret)."""
        if device is None:
            return False
        return (self.device_token is not None and self.device_token == device.identity_token) or (
            self.device_secret is not None and self.device_secret == device.details.get("deviceSecret")
        )

    def owns(self, device: Device | None, client_id: str | None) -> bool:
        """Whether a subscription of `device` or `client_id` is the caller's own: its device, or its clientId."""
        return self.is_device(device) or (
            client_id is not None and self.credentials is not None and self.credentials.client_id == client_id
        )


def denied(what: str) -> errors.AblyError:
    return errors.CAPABILITY_DENIED(f"Permission denied: {what}")


def no_content(request: web.Request) -> web.Response:
    """204, or inside the JSON envelope browsers ask for."""
    if request.query.get("envelope") == "json":
        return reply(request, None, 204)
    return web.Response(status=204)


def text_param(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    return value if value else None


def page(request: web.Request, items: list) -> web.Response:
    """One page of `items` (`limit`, default 100, more than 1000 read as 1000), `Link` to the next by offset.

    ably-python's own push tests list with `limit=5000` and expect every item back, so a larger limit is capped here
    rather than refused as history refuses it.
    """
    limit = min(int_param(request, "limit", 100, 1), MAX_HISTORY_LIMIT)
    start = int_param(request, "cursor", 0, 0)
    end = start + limit
    return reply(request, items[start:end], headers={"Link": page_links(request, end if end < len(items) else None)})


class PushApi:
    """The push admin handlers, bound to one world (one app)."""

    def __init__(self, world: World):
        self.world = world
        self.registry: PushRegistry = world.push

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/push/deviceRegistrations", self.list_devices),
            web.post("/push/deviceRegistrations", self.register_device),
            web.delete("/push/deviceRegistrations", self.remove_devices_where),
            web.get("/push/deviceRegistrations/{device_id}", self.get_device),
            web.put("/push/deviceRegistrations/{device_id}", self.save_device),
            web.patch("/push/deviceRegistrations/{device_id}", self.update_device),
            web.delete("/push/deviceRegistrations/{device_id}", self.remove_device),
            web.get("/push/channelSubscriptions", self.list_subscriptions),
            web.post("/push/channelSubscriptions", self.subscribe),
            web.delete("/push/channelSubscriptions", self.unsubscribe),
            web.get("/push/channels", self.list_channels),
            web.post("/push/publish", self.publish),
        ]

    def caller(self, request: web.Request) -> Caller:
        """The request's credentials, or (`Authorization: Bearer` with a deviceIdentityToken) only its device."""
        device_token = request.headers.get("X-Ably-DeviceToken")
        device_secret = request.headers.get("X-Ably-DeviceSecret")
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            presented = _decoded(bearer[7:].strip())
            if self.registry.device_by_token(presented) is not None:
                return Caller(None, presented, device_secret)
        return Caller(credentials_for(self.world, request), device_token, device_secret)

    def _require_device_rights(self, caller: Caller, device: Device | None, action: str) -> None:
        if not (caller.may("push-admin") or caller.is_device(device)):
            raise denied(f"{action} needs push-admin or the device's own credentials")

    # Device registrations

    async def list_devices(self, request: web.Request) -> web.Response:
        caller = self.caller(request)
        device_id = text_param(request, "deviceId")
        if not (caller.may("push-admin") or caller.is_device(self.registry.devices.get(device_id or ""))):
            raise denied("listing device registrations needs push-admin")
        devices = self.registry.find_devices(device_id, text_param(request, "clientId"))
        return page(request, [device.details for device in devices])

    async def get_device(self, request: web.Request) -> web.Response:
        device = self.registry.devices.get(request.match_info["device_id"])
        self._require_device_rights(self.caller(request), device, "reading a device registration")
        if device is None:
            raise errors.NOT_FOUND(f"Device {request.match_info['device_id']!r} is not registered")
        return reply(request, device.details)

    async def register_device(self, request: web.Request) -> web.Response:
        """A device activating itself (ably-js `push.activate()`): the answer carries its deviceIdentityToken."""
        body = await read_body(request)
        return self._store(request, body, _device_id(body))

    async def save_device(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        device_id = request.match_info["device_id"]
        if isinstance(body, dict) and body.get("id", device_id) != device_id:
            raise errors.INVALID_DEVICE_ID(f"Device id {body.get('id')!r} does not match the path's {device_id!r}")
        return self._store(request, body, device_id)

    async def update_device(self, request: web.Request) -> web.Response:
        """PATCH: the fields given replace the stored ones (a device updating its push token)."""
        body = await read_body(request)
        device = self.registry.devices.get(request.match_info["device_id"])
        self._require_device_rights(self.caller(request), device, "updating a device registration")
        if device is None:
            raise errors.NOT_FOUND(f"Device {request.match_info['device_id']!r} is not registered")
        if not isinstance(body, dict):
            raise errors.INVALID_REQUEST_BODY("A device update must be an object")
        merged = {**device.details, "push": {"recipient": device.details["push"]["recipient"]}, **body}
        merged["id"] = device.details["id"]
        return self._store(request, merged, device.details["id"])

    def _store(self, request: web.Request, body, device_id: str) -> web.Response:
        caller = self.caller(request)
        existing = self.registry.devices.get(device_id)
        allowed = caller.may("push-admin") or (
            caller.is_device(existing) if existing is not None else caller.may("push-subscribe")
        )
        if not allowed:
            raise denied("registering a device needs push-admin or push-subscribe")
        details = _device_details(body, device_id)
        if existing is not None and "deviceSecret" in existing.details:
            details.setdefault("deviceSecret", existing.details["deviceSecret"])
        device = Device(details, existing.identity_token if existing else secrets.token_urlsafe(24))
        self.registry.devices[device_id] = device
        issued = now_ms()
        token = {"token": device.identity_token, "issued": issued, "expires": issued + IDENTITY_TOKEN_TTL_MS}
        return reply(request, {**details, "deviceIdentityToken": token}, 200 if existing else 201)

    async def remove_device(self, request: web.Request) -> web.Response:
        """Forget a device and its subscriptions; 204 whether or not it was registered."""
        device = self.registry.devices.get(request.match_info["device_id"])
        self._require_device_rights(self.caller(request), device, "removing a device registration")
        if device is not None:
            self.registry.remove_devices([device])
        return no_content(request)

    async def remove_devices_where(self, request: web.Request) -> web.Response:
        device_id, client_id = text_param(request, "deviceId"), text_param(request, "clientId")
        if device_id is None and client_id is None:
            raise errors.BAD_REQUEST("Removing device registrations needs a deviceId or clientId filter")
        caller = self.caller(request)
        devices = self.registry.find_devices(device_id, client_id)
        if not (caller.may("push-admin") or (devices and all(caller.is_device(device) for device in devices))):
            raise denied("removing device registrations needs push-admin")
        self.registry.remove_devices(devices)
        return no_content(request)

    # Channel subscriptions

    async def subscribe(self, request: web.Request) -> web.Response:
        caller = self.caller(request)
        subscription = _subscription(await read_body(request))
        channel = subscription["channel"]
        if not push_enabled(channel, self.world.config.push_namespaces):
            raise denied(f"channel {channel!r} is not enabled for push (no pushEnabled channel rule)")
        device = self.registry.devices.get(subscription.get("deviceId", ""))
        if "deviceId" in subscription and device is None:
            raise errors.BAD_REQUEST(f"Device {subscription['deviceId']!r} is not registered")
        own = caller.owns(device, subscription.get("clientId"))
        if not (caller.may("push-admin", channel) or (own and caller.may("push-subscribe", channel))):
            raise denied(f"subscribing to push on channel {channel!r} needs push-admin or push-subscribe")
        self.registry.subscribe(subscription)
        return reply(request, subscription, 201)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        channel = text_param(request, "channel")
        device_id, client_id = text_param(request, "deviceId"), text_param(request, "clientId")
        if device_id is None and client_id is None:
            raise errors.BAD_REQUEST("Removing channel subscriptions needs a deviceId or clientId")
        caller = self.caller(request)
        own = caller.owns(self.registry.devices.get(device_id or ""), client_id)
        if not (caller.may("push-admin", channel) or (own and caller.may("push-subscribe", channel))):
            raise denied("removing channel subscriptions needs push-admin or push-subscribe")
        self.registry.unsubscribe(self.registry.find_subscriptions(channel, device_id, client_id))
        return no_content(request)

    async def list_subscriptions(self, request: web.Request) -> web.Response:
        caller = self.caller(request)
        device_id = text_param(request, "deviceId")
        if not (caller.may("push-admin") or caller.is_device(self.registry.devices.get(device_id or ""))):
            raise denied("listing channel subscriptions needs push-admin")
        found = self.registry.find_subscriptions(
            text_param(request, "channel"),
            device_id,
            text_param(request, "clientId"),
            request.query.get("concatFilters") == "true",
        )
        return page(request, found)

    async def list_channels(self, request: web.Request) -> web.Response:
        if not self.caller(request).may("push-admin"):
            raise denied("listing push channels needs push-admin")
        return page(request, self.registry.channels())

    # Publish

    async def publish(self, request: web.Request) -> web.Response:
        """Check a notification as Ably does; deliver it only to `ablyChannel` recipients (no push services here)."""
        if not self.caller(request).may("push-admin"):
            raise denied("publishing a push notification needs push-admin")
        body = await read_body(request)
        if not isinstance(body, dict):
            raise errors.INVALID_REQUEST_BODY("A push publish must be an object with a recipient and a payload")
        recipient = _check_recipient(body.get("recipient"))
        payload = {key: value for key, value in body.items() if key != "recipient"}
        _check_payload(payload)
        for channel in self._ably_channels(recipient):
            deliver_push(self.world, channel, payload)
        return no_content(request)

    def _ably_channels(self, recipient: dict) -> list[str]:
        """The channels of the `ablyChannel` transport the recipient reaches (itself, or its devices')."""
        if recipient.get("transportType") == "ablyChannel":
            return [recipient["channel"]]
        if "transportType" in recipient:
            return []
        return self.registry.ably_channels(
            self.registry.find_devices(recipient.get("deviceId"), recipient.get("clientId"))
        )


def _decoded(presented: str) -> str:
    try:
        return base64.b64decode(presented, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return presented


def _device_id(body) -> str:
    if not isinstance(body, dict):
        raise errors.INVALID_REQUEST_BODY("A device registration must be an object")
    device_id = body.get("id")
    if not isinstance(device_id, str) or not device_id:
        raise errors.INVALID_DEVICE_ID("A device registration needs an id (a non-empty string)")
    return device_id


def _device_details(body, device_id: str) -> dict:
    """The registration as Ably keeps and answers it; 40000 for a field Ably would refuse."""
    if not isinstance(body, dict):
        raise errors.INVALID_REQUEST_BODY("A device registration must be an object")
    platform, form_factor = body.get("platform"), body.get("formFactor")
    if platform not in PLATFORMS:
        raise errors.BAD_REQUEST(f"Invalid platform {platform!r}: use one of {', '.join(sorted(PLATFORMS))}")
    if form_factor not in FORM_FACTORS:
        raise errors.BAD_REQUEST(f"Invalid formFactor {form_factor!r}: use one of {', '.join(sorted(FORM_FACTORS))}")
    client_id, secret = body.get("clientId"), body.get("deviceSecret")
    if client_id is not None and (not isinstance(client_id, str) or not client_id):
        raise errors.INVALID_CLIENT_ID(f"Invalid clientId {client_id!r}")
    if secret is not None and not isinstance(secret, str):
        raise errors.BAD_REQUEST("A device's deviceSecret must be a string")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise errors.BAD_REQUEST("A device's metadata must be an object")
    push = body.get("push")
    recipient = push.get("recipient") if isinstance(push, dict) else None
    if not isinstance(recipient, dict) or "transportType" not in recipient:
        raise errors.BAD_REQUEST("A device registration needs push.recipient with a transportType")
    _check_recipient(recipient)
    details = {
        "id": device_id,
        "platform": platform,
        "formFactor": form_factor,
        "metadata": metadata,
        "push": {"recipient": recipient, "state": "ACTIVE"},
        "modified": now_ms(),
    }
    for optional in ("clientId", "deviceSecret"):
        if body.get(optional) is not None:
            details[optional] = body[optional]
    return details


def _check_recipient(recipient) -> dict:
    """A push recipient: a clientId, a deviceId, or a transport with the fields it needs."""
    if not isinstance(recipient, dict) or not recipient:
        raise errors.BAD_REQUEST("A push recipient must be an object naming a clientId, deviceId or transportType")
    transport = recipient.get("transportType")
    if transport is None:
        if not any(isinstance(recipient.get(key), str) and recipient[key] for key in ("clientId", "deviceId")):
            raise errors.BAD_REQUEST("A push recipient needs a clientId, deviceId or transportType")
        return recipient
    needed = TRANSPORT_FIELDS.get(transport)
    if needed is None:
        raise errors.BAD_REQUEST(f"Invalid transportType {transport!r}: use one of {', '.join(TRANSPORT_FIELDS)}")
    missing = [key for key in needed if not isinstance(recipient.get(key), str) or not recipient[key]]
    if missing:
        raise errors.BAD_REQUEST(f"A {transport} recipient needs {', '.join(missing)}")
    if transport == "ablyChannel":
        valid_channel_name(recipient["channel"])
    return recipient


def _check_payload(payload: dict) -> None:
    unknown = set(payload) - PAYLOAD_FIELDS
    if unknown:
        raise errors.BAD_REQUEST(f"Unknown push payload field(s) {', '.join(sorted(unknown))}")
    if not payload:
        raise errors.BAD_REQUEST(f"A push payload needs one of {', '.join(sorted(PAYLOAD_FIELDS))}")
    for key, value in payload.items():
        if not isinstance(value, dict):
            raise errors.BAD_REQUEST(f"The push payload's {key} must be an object")


def _subscription(body) -> dict:
    """A channel subscription as Ably keeps it: its channel and exactly one of deviceId or clientId."""
    if not isinstance(body, dict):
        raise errors.INVALID_REQUEST_BODY("A channel subscription must be an object")
    channel = body.get("channel")
    if not isinstance(channel, str):
        raise errors.BAD_REQUEST("A channel subscription needs a channel")
    valid_channel_name(channel)
    named = {key: body[key] for key in ("deviceId", "clientId") if body.get(key) is not None}
    if len(named) != 1 or not all(isinstance(value, str) and value for value in named.values()):
        raise errors.BAD_REQUEST("A channel subscription needs exactly one of deviceId or clientId")
    return {"channel": channel, **named}
