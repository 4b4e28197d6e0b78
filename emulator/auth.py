"""Keys, capabilities, signed TokenRequests and tokens: who may connect, and what they may do on which channel."""

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from . import errors
from .revocations import Revocations

OPERATIONS = {
    "*",
    "publish",
    "subscribe",
    "presence",
    "history",
    "channel-metadata",
    "push-subscribe",
    "push-admin",
    "statistics",
    "privileged-headers",
    "object-subscribe",
    "object-publish",
    "annotation-publish",
    "annotation-subscribe",
    "message-update-own",
    "message-update-any",
    "message-delete-own",
    "message-delete-any",
}
FULL_CAPABILITY = {"*": ["*"]}
EXPIRED_TOKEN_MEMORY_MS = 3_600_000
MINUTE_MS = 60_000
TOKEN_BYTES = 24
TOKEN_CHARS = 32  # url-safe base64 of TOKEN_BYTES


def now_ms() -> int:
    """Wall-clock milliseconds, Ably's timestamp unit."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ApiKey:
    """One `appId.keyId:secret` key; keys carry the full capability. `revocable`: its tokens can be revoked."""

    name: str
    secret: str
    capability: dict = field(default_factory=lambda: dict(FULL_CAPABILITY))
    revocable: bool = False

    @classmethod
    def parse(cls, text: str) -> "ApiKey":
        """Split `appId.keyId:secret`, refusing anything else with a ValueError."""
        name, sep, secret = text.partition(":")
        if not sep or not secret or "." not in name or name.startswith(".") or name.endswith("."):
            raise ValueError(f"API key must look like appId.keyId:secret, got {text!r}")
        return cls(name=name, secret=secret)

    @property
    def app_id(self) -> str:
        return self.name.split(".", 1)[0]


def parse_capability(text) -> dict:
    """Validate a capability JSON string (or dict) and return `{resource: [ops]}`.

    :raises AblyError: 40000 when it is not an object of non-empty operation lists.
    """
    if isinstance(text, str):
        try:
            capability = json.loads(text)
        except ValueError:
            raise errors.BAD_REQUEST("Invalid capability: not JSON") from None
    else:
        capability = text
    if not isinstance(capability, dict) or not capability:
        raise errors.BAD_REQUEST("Invalid capability: must be a non-empty object")
    for resource, ops in capability.items():
        if not isinstance(ops, list) or not ops or not all(isinstance(op, str) and op in OPERATIONS for op in ops):
            raise errors.BAD_REQUEST(f"Invalid capability for resource {resource!r}")
        if "*" in ops and len(ops) > 1:
            raise errors.BAD_REQUEST(f"Invalid capability for resource {resource!r}: '*' must be the only operation")
    return capability


def canonical_capability(capability: dict) -> str:
    """The capability as Ably writes it: keys sorted, operation lists sorted, no spaces."""
    return json.dumps({k: sorted(v) for k, v in sorted(capability.items())}, separators=(",", ":"))


def resource_matches(resource: str, channel: str) -> bool:
    """`*` matches every channel, `prefix*` matches by prefix, anything else only itself.

    A qualified channel (`[filter=...]room`) is matched only by a resource with its qualifier or `[*]` (Ably's
    `[*]*` is every channel, qualified or not); the rest of the name is then matched as above.
    """
    if resource.startswith("[") or channel.startswith("["):
        qualifier, _, pattern = resource[1:].partition("]") if resource.startswith("[") else ("", "", resource)
        wanted, _, name = channel[1:].partition("]") if channel.startswith("[") else ("", "", channel)
        if qualifier not in ("*", wanted):
            return False
        return resource_matches(pattern, name)
    if resource == "*":
        return True
    if resource.endswith("*"):
        return channel.startswith(resource[:-1])
    return resource == channel


def permits(capability: dict, channel: str, operation: str) -> bool:
    """Whether `capability` allows `operation` on `channel`."""
    return any(
        resource_matches(resource, channel) and ("*" in ops or operation in ops) for resource, ops in capability.items()
    )


def intersect(requested: dict, allowed: dict) -> dict:
    """Keep the part of `requested` that `allowed` covers (a resource must be covered by one allowed resource).

    Operations meet with `*` standing for all of the other side's: `{"channel2": ["*"]}` against a key's
    `{"channel2": ["publish", "subscribe"]}` gives the key's two (ably-js test/rest/capability.test.js).
    """
    result = {}
    for resource, ops in requested.items():
        granted: set[str] = set()
        for allowed_resource, allowed_ops in allowed.items():
            if resource_matches(allowed_resource, resource):
                granted |= _meet(set(ops), set(allowed_ops))
        if granted:
            result[resource] = ["*"] if "*" in granted else sorted(granted)
    return result


def _meet(ops: set[str], other: set[str]) -> set[str]:
    if "*" in ops:
        return other
    if "*" in other:
        return ops
    return ops & other


@dataclass
class Token:
    """An issued token and what it grants."""

    token: str
    key_name: str
    issued: int
    expires: int
    capability: dict
    client_id: str | None
    revocable: bool = False
    revocation_key: str | None = None  # a JWT's `x-ably-revocation-key`

    def details(self) -> dict:
        """The TokenDetails body (capability as a JSON string, no clientId when anonymous)."""
        body = {
            "token": self.token,
            "keyName": self.key_name,
            "issued": self.issued,
            "expires": self.expires,
            "capability": canonical_capability(self.capability),
        }
        if self.client_id is not None:
            body["clientId"] = self.client_id
        return body


@dataclass
class Credentials:
    """What an authenticated request or connection may do."""

    key_name: str
    capability: dict
    client_id: str | None
    token: Token | None = None

    @property
    def is_wildcard(self) -> bool:
        """Key (basic) auth and `*` tokens may act as any clientId."""
        return self.token is None or self.client_id == "*"


def mac_text(request: dict) -> str:
    """The text Ably signs: keyName, ttl, capability, clientId, timestamp, nonce, each followed by a newline."""
    parts = [request.get(name) for name in ("keyName", "ttl", "capability", "clientId", "timestamp", "nonce")]
    return "".join(("" if part is None else str(part)) + "\n" for part in parts)


def sign(request: dict, secret: str) -> str:
    """The base64 HMAC-SHA256 of the request's MAC text under the key secret."""
    text = mac_text(request).encode("utf-8", "surrogatepass")  # a lone surrogate must fail the checks, not the server
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Authority:
    """The keys the emulator accepts and the tokens it has issued."""

    def __init__(self, keys: list[str], config):
        self.config = config
        parsed = [ApiKey.parse(text) for text in keys]
        self.keys = {
            key.name: ApiKey(
                key.name,
                key.secret,
                parse_capability(config.key_capabilities.get(key.name, FULL_CAPABILITY)),
                key.name in config.revocable_keys,
            )
            for key in parsed
        }
        self.revocations = Revocations(config.token_ttl_max * 1000)
        self.tokens: dict[str, Token] = {}
        # Tokens by the minute they expire in, so forgetting expired ones costs nothing per request.
        self.expiring: dict[int, list[Token]] = defaultdict(list)
        self.swept_minute = now_ms() // MINUTE_MS - EXPIRED_TOKEN_MEMORY_MS // MINUTE_MS
        self.nonces: dict[tuple[str, str, float], float] = {}
        self.nonce_order: deque[tuple[float, tuple[str, str, float]]] = deque()

    def key(self, key_name: str) -> ApiKey:
        """The key named `key_name`: 40131 when it was revoked, 40101 when there is no such key."""
        if key_name in self.config.revoked_keys:
            raise errors.KEY_REVOKED()
        try:
            return self.keys[key_name]
        except KeyError:
            raise errors.INVALID_CREDENTIALS(f"Invalid key name {key_name!r}: no such key") from None

    def request_token(self, key_name: str, body, basic: "Credentials | None") -> Token:
        """Issue a token for a signed TokenRequest, or for unsigned TokenParams under basic auth.

        :raises AblyError: 40101 bad key or MAC, 40104 stale timestamp, 40105 reused nonce, 40000/40003 bad fields,
            40160 capability outside the key's, 40012 bad clientId.
        """
        key = self.key(key_name)
        if not isinstance(body, dict):
            raise errors.INVALID_REQUEST_BODY("Token request must be an object")
        if "mac" in body or basic is None or basic.key_name != key.name:
            self._verify_signed(key, body)
        ttl = body.get("ttl")
        ttl_ms = self.config.token_ttl_default * 1000 if ttl in (None, "") else _number(ttl, "ttl")
        if ttl_ms <= 0 or ttl_ms > self.config.token_ttl_max * 1000:
            raise errors.INVALID_PARAMETER(
                f"Invalid ttl {ttl!r}: must be between 1 and {int(self.config.token_ttl_max * 1000)} ms"
            )
        requested = body.get("capability")
        capability = key.capability if requested in (None, "") else parse_capability(requested)
        granted = intersect(capability, key.capability)
        if not granted:
            raise errors.CAPABILITY_DENIED("Requested capability is not within the key's capability")
        client_id = body.get("clientId")
        if client_id is not None and (not isinstance(client_id, str) or not client_id or not _utf8(client_id)):
            raise errors.INVALID_CLIENT_ID("clientId must be a non-empty string of Unicode characters")
        issued = now_ms()
        self._forget_expired_tokens(issued)
        token_string = f"{key.app_id}.{secrets.token_urlsafe(TOKEN_BYTES)}"
        token = Token(token_string, key.name, issued, issued + int(ttl_ms), granted, client_id, key.revocable)
        self.tokens[token.token] = token
        self.expiring[token.expires // MINUTE_MS].append(token)
        return token

    def _verify_signed(self, key: ApiKey, body: dict) -> None:
        if body.get("keyName") not in (None, key.name):
            raise errors.INVALID_CREDENTIALS("keyName in the token request does not match the URL")
        mac, nonce, timestamp = body.get("mac"), body.get("nonce"), body.get("timestamp")
        if not isinstance(mac, str) or not mac:
            raise errors.INVALID_CREDENTIALS("Token request has no mac (and no basic auth with its key)")
        if not isinstance(nonce, str) or len(nonce) < 16:
            raise errors.BAD_REQUEST("Token request nonce must be a string of at least 16 characters")
        timestamp = _number(timestamp, "timestamp")
        if not hmac.compare_digest(mac, sign({**body, "keyName": key.name}, key.secret)):
            raise errors.INVALID_CREDENTIALS("Invalid mac: the token request was not signed with this key")
        if abs(now_ms() - timestamp) > self.config.timestamp_skew * 1000:
            raise errors.TIMESTAMP_NOT_CURRENT(f"Timestamp not current: {int(timestamp)} is outside the accepted skew")
        self._forget_old_nonces()
        # Ably refuses the same nonce only with the same timestamp: the SDK suites reuse a fixed nonce across tests.
        entry = (key.name, nonce, timestamp)
        if entry in self.nonces:
            raise errors.NONCE_REPLAYED("Nonce value replayed")
        seen = time.monotonic()
        self.nonces[entry] = seen
        self.nonce_order.append((seen, entry))

    def _forget_expired_tokens(self, now: int) -> None:
        """Drop tokens expired for over an hour (they then answer 40143 instead of 40142: both make SDKs renew).

        Each minute's tokens are looked at once, an hour after that minute, so a request costs the same however
        many tokens are live. A token expired early (the controls) is forgotten an hour after its original expiry.
        """
        horizon = (now - EXPIRED_TOKEN_MEMORY_MS) // MINUTE_MS
        while self.swept_minute < horizon:
            for token in self.expiring.pop(self.swept_minute, ()):
                if self.tokens.get(token.token) is token:
                    del self.tokens[token.token]
            self.swept_minute += 1

    def _forget_old_nonces(self) -> None:
        """Forget nonces older than the window, oldest first (they were remembered in that order)."""
        horizon = time.monotonic() - self.config.nonce_window
        while self.nonce_order and self.nonce_order[0][0] < horizon:
            seen, entry = self.nonce_order.popleft()
            if self.nonces.get(entry) == seen:
                del self.nonces[entry]

    def with_token(self, token_string: str) -> Credentials:
        """Credentials for a token; 40142 when expired, 40143 when shaped like ours but not (or no longer) known,
        40141 when revoked.

        Anything else is not a token at all: Ably answers 40101, and the SDKs then fail instead of renewing.
        """
        token = self.tokens.get(token_string)
        if token is None:
            if self._looks_issued(token_string):
                raise errors.TOKEN_UNRECOGNISED()
            raise errors.INVALID_CREDENTIALS("Invalid token: not a token issued by this service")
        if token.expires <= now_ms():
            raise errors.TOKEN_EXPIRED()
        if self.revocations.revokes(token, now_ms()):
            raise errors.TOKEN_REVOKED()
        return Credentials(token.key_name, token.capability, token.client_id, token)

    def _looks_issued(self, token_string: str) -> bool:
        """`<appId>.<random>` for one of our apps: a token we issued and have forgotten, or one from an earlier run."""
        app_id, dot, rest = token_string.partition(".")
        return (
            bool(dot)
            and len(rest) == TOKEN_CHARS
            and any(key.app_id == app_id for key in self.keys.values())
            and all(char.isalnum() or char in "-_" for char in rest)
        )

    def with_key(self, key_text: str) -> Credentials:
        """Credentials for basic auth with a full `keyName:secret`."""
        name, _, secret = key_text.partition(":")
        key = self.key(name)
        if not hmac.compare_digest(secret, key.secret):
            raise errors.INVALID_CREDENTIALS("Invalid key secret")
        return Credentials(key.name, key.capability, None)

    def expire(self, client_id: str | None = None) -> list[Token]:
        """Make every token (or those of `client_id`) expire now; returns the tokens affected."""
        now = now_ms()
        hit = [t for t in self.tokens.values() if t.expires > now and (client_id is None or t.client_id == client_id)]
        for token in hit:
            token.expires = now
        return hit


def _utf8(text: str) -> bool:
    """Whether `text` has a UTF-8 form (a lone surrogate from a JSON escape has none, so msgpack cannot carry it)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _number(value, name: str) -> float:
    """A finite number from a number or numeric string (NaN would pass every comparison it is checked with)."""
    if isinstance(value, bool):
        raise errors.INVALID_PARAMETER(f"Invalid {name}: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise errors.INVALID_PARAMETER(f"Invalid {name}: {value!r}") from None
    if not math.isfinite(number):
        raise errors.INVALID_PARAMETER(f"Invalid {name}: {value!r} is not a finite number")
    return number
