"""Ably JWTs: tokens an app's server signs itself (HS256 with an API key's secret, the key's name as `kid`).

Claims as Ably documents them: `iat` and `exp` (seconds), `x-ably-capability` (JSON text, met with the key's),
`x-ably-clientId`. A JWT may instead carry an Ably token (`x-ably-token`, in the header or the claims: an
"embedded token"), which then grants what it grants, until the earlier of the two expiries.
"""

import base64
import binascii
import hashlib
import hmac
import json

from . import errors
from .auth import Authority, Credentials, Token, intersect, now_ms, parse_capability
from .errors import AblyError


def is_jwt(token: str) -> bool:
    """A JWT is three base64url parts (an Ably token is `<appId>.<random>`: one dot)."""
    return token.count(".") == 2 and token.startswith("eyJ")


def token_credentials(authority: Authority, token: str) -> Credentials:
    """Credentials for a token as presented on a connection, in AUTH or as REST `Bearer`: a JWT or an Ably token."""
    return jwt_credentials(authority, token) if is_jwt(token) else authority.with_token(token)


def key_name(token: str) -> str | None:
    """The `kid` of a JWT's header (which app it is for), or None when it is not a readable JWT."""
    try:
        return _header(token).get("kid") if is_jwt(token) else None
    except AblyError:
        return None


def jwt_credentials(authority: Authority, token: str) -> Credentials:
    """Verify a JWT and say what it grants.

    :raises AblyError: 40144 malformed (not HS256, no `kid`, claims missing or not numbers), 40400 no such app,
        40101 no such key or a signature not made with the key's secret, 40142 expired, 40160 a capability
        outside the key's; an embedded token's own errors (40142, 40143, ...).
    """
    header = _header(token)
    if header.get("alg") != "HS256":
        raise errors.INVALID_JWT(f"Invalid JWT: alg {header.get('alg')!r} is not HS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise errors.INVALID_JWT("Invalid JWT: no kid (the API key's name) in its header")
    if not any(key.app_id == kid.split(".", 1)[0] for key in authority.keys.values()):
        raise errors.NOT_FOUND(f"Invalid JWT: no app {kid.split('.', 1)[0]!r}")
    key = authority.key(kid)
    signed, _, signature = token.rpartition(".")
    expected = hmac.new(key.secret.encode(), signed.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_decode(signature), expected):
        raise errors.INVALID_CREDENTIALS("Invalid JWT: signature not made with the secret of key " + kid)
    claims = _json_part(token.split(".")[1])
    issued, expires = _seconds(claims, "iat"), _seconds(claims, "exp")
    if expires * 1000 <= now_ms():
        raise errors.TOKEN_EXPIRED()
    embedded = header.get("x-ably-token") or claims.get("x-ably-token")
    if isinstance(embedded, str) and embedded:
        inner = authority.with_token(embedded)
        assert inner.token is not None
        until = min(inner.token.expires, int(expires * 1000))
        jwt = Token(token, inner.key_name, inner.token.issued, until, inner.capability, inner.client_id)
        return Credentials(inner.key_name, inner.capability, inner.client_id, jwt)
    capability_text = claims.get("x-ably-capability")
    if not isinstance(capability_text, str):
        raise errors.INVALID_JWT("Invalid JWT: no x-ably-capability claim (a JSON string)")
    granted = intersect(parse_capability(capability_text), key.capability)
    if not granted:
        raise errors.CAPABILITY_DENIED("The JWT's capability is not within the key's capability")
    client_id = claims.get("x-ably-clientId")
    if client_id is not None and (not isinstance(client_id, str) or not client_id):
        raise errors.INVALID_CLIENT_ID("x-ably-clientId must be a non-empty string")
    revocation_key = claims.get("x-ably-revocation-key")
    revocation_key = revocation_key if isinstance(revocation_key, str) else None
    jwt = Token(
        token, key.name, int(issued * 1000), int(expires * 1000), granted, client_id, key.revocable, revocation_key
    )
    if authority.revocations.revokes(jwt, now_ms()):
        raise errors.TOKEN_REVOKED()
    return Credentials(key.name, granted, client_id, jwt)


def _header(token: str) -> dict:
    return _json_part(token.split(".", 1)[0])


def _json_part(part: str) -> dict:
    try:
        value = json.loads(_decode(part))
    except ValueError:
        raise errors.INVALID_JWT("Invalid JWT: a part is not base64url JSON") from None
    if not isinstance(value, dict):
        raise errors.INVALID_JWT("Invalid JWT: a part is not a JSON object")
    return value


def _decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise errors.INVALID_JWT("Invalid JWT: a part is not base64url") from None


def _seconds(claims: dict, name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.INVALID_JWT(f"Invalid JWT: claim {name!r} must be a number of seconds")
    return value
