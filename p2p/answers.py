"""What the site and Ably's token endpoint answer, checked before the peer acts on it (free of I/O).

A site is any address someone sends a link to, so its answers are read as untrusted: each must have the shape the
site's API documents (api/client_config.py, Ably's TokenRequest and TokenDetails), and its Ably options may point
only at the link's own host, or at nothing (ably-python's defaults: Ably itself). Anything else is a SiteError.
"""

import json
from dataclasses import dataclass
from typing import Any

from ably.transport.defaults import Defaults

from .link import SessionLink, SiteError, canonical_host, parse_link
from .terminal import clip

# Ably's TokenRequest fields and their JSON types; the site's always carry a clientId (this peer's).
TOKEN_REQUEST_FIELDS: dict[str, type] = {
    "keyName": str,
    "clientId": str,
    "nonce": str,
    "mac": str,
    "timestamp": int,
    "ttl": int,
    "capability": str,
}
TOKEN_REQUEST_REQUIRED = ("keyName", "clientId", "nonce", "mac", "timestamp")
# The TokenDetails fields ably-python reads (TokenDetails.from_dict), and those it needs.
TOKEN_DETAILS_FIELDS: dict[str, type] = {
    "token": str,
    "issued": int,
    "expires": int,
    "capability": str,
    "clientId": str,
}
TOKEN_DETAILS_REQUIRED = ("token", "issued", "expires")
CLIENT_CONFIG_FIELDS: dict[str, type] = {"endpoint": str, "tls": bool, "port": int, "tlsPort": int}
JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
EXPECTED = {str: "a string", int: "a whole number", bool: "true or false"}


@dataclass(frozen=True)
class AblyAddress:
    """Where the peer finds Ably: `host` None for Ably itself, else the site's host (as URLs write it)."""

    host: str | None = None
    tls: bool = True
    port: int | None = None

    def realtime_options(self) -> dict[str, Any]:
        """ably-python's options: it takes the port inside `endpoint` for realtime."""
        if self.host is None:
            return {}
        return {"tls": self.tls, "endpoint": f"{self.host}:{self.port}" if self.port else self.host}

    @property
    def rest_base(self) -> str:
        """Where Ably's REST API is: the site's host, or Ably's primary host."""
        if self.host is None:
            return f"https://{Defaults.get_hostname(Defaults.endpoint)}"
        return f"{'https' if self.tls else 'http'}://{self.host}" + (f":{self.port}" if self.port else "")


def json_type(value: object) -> str:
    """A JSON value's type, as an error line names it."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return JSON_TYPES.get(type(value), type(value).__name__)


def fields(answer: object, types: dict[str, type], required: tuple[str, ...], where: str) -> dict[str, Any]:
    """The answer's known fields, each of its JSON type (booleans are not numbers), the required ones present."""
    if not isinstance(answer, dict):
        raise SiteError(f"{where} answered {json_type(answer)}, not an object")
    known = {name: answer[name] for name in types if answer.get(name) is not None}
    for name, value in known.items():
        if not isinstance(value, types[name]) or (types[name] is int and isinstance(value, bool)):
            raise SiteError(f"{where} answered {json_type(value)} for {name}, not {EXPECTED[types[name]]}")
    missing = [name for name in required if known.get(name) in (None, "")]
    if missing:
        raise SiteError(f"{where} answered no {', '.join(missing)}")
    return known


def ably_address(config: object, link: SessionLink, where: str) -> AblyAddress:
    """The site's ably-js client options as an AblyAddress, refused unless they keep the peer on the link's host."""
    options = fields(config, CLIENT_CONFIG_FIELDS, (), where)
    endpoint = options.get("endpoint")
    if not endpoint:
        return AblyAddress()
    try:
        host = canonical_host(f"[{endpoint}]" if ":" in endpoint and not endpoint.startswith("[") else endpoint)
    except ValueError:
        host = None
    if host != link.host:
        raise SiteError(
            f"{where} points Ably at {clip(endpoint, 80)!r}, not at {link.host}: refused, "
            "the peer connects only to the host its link names"
        )
    tls = options.get("tls", True)
    if link.scheme == "https" and not tls:
        raise SiteError(f"{where} asks for Ably without TLS for an https site: refused")
    port = options.get("tlsPort" if tls else "port")
    if port is not None and not 0 < port < 65536:
        raise SiteError(f"{where} answered port {clip(str(port), 20)}: expected 1 to 65535")
    address = AblyAddress(host, tls, port)
    endpoint_option = address.realtime_options()["endpoint"]
    if Defaults.get_hostname(endpoint_option) != endpoint_option:
        raise SiteError(
            f"ably-python would read {endpoint_option!r} as an Ably routing policy, not a host: "
            "use the site's full host name or its address in the link"
        )
    return address


def share_origin(config: object, where: str) -> str | None:
    """The origin invite links use instead of the link's (`shareOrigin`: the dev host's network address, which it
    names when the link is a loopback one), or None; the page shares the same (site/ably-client.js)."""
    value = config.get("shareOrigin") if isinstance(config, dict) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise SiteError(f"{where} answered {json_type(value)} for shareOrigin, not a string")
    try:
        origin = parse_link(value, session_required=False)
    except SiteError:
        origin = None
    if origin is None or origin.session_id is not None:
        raise SiteError(f"{where} answered shareOrigin {clip(value, 80)!r}: not a site's address")
    return origin.origin


def token_request(answer: object, where: str) -> dict[str, Any]:
    """The site's signed TokenRequest: only Ably's fields, of their types, naming this peer's clientId."""
    request = fields(answer, TOKEN_REQUEST_FIELDS, TOKEN_REQUEST_REQUIRED, where)
    if request["clientId"] == "*":
        raise SiteError(f"{where} answered the wildcard clientId, not one for this peer")
    return request


def token_details(answer: object, where: str) -> dict[str, Any]:
    """Ably's TokenDetails: the fields ably-python reads, of their types."""
    return fields(answer, TOKEN_DETAILS_FIELDS, TOKEN_DETAILS_REQUIRED, where)


def error_message(answer: object) -> str | None:
    """The message of an error answer (`{"error": {"message": ...}}`, the site's and Ably's shape), clipped."""
    error = answer.get("error") if isinstance(answer, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return clip(message) if isinstance(message, str) and message else None
