"""The app settings the API reads, parsed and validated in one place, per request (never at import)."""

import contextlib
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from api.errors import invalid_host, invalid_setting, missing_setting

API_KEY = "ABLY_API_KEY"
TOKEN_TTL_SECONDS = "ABLY_TOKEN_TTL_SECONDS"
ENDPOINT_URL = "ABLY_ENDPOINT_URL"
SHARE_ORIGIN = "SHARE_ORIGIN"
# ABLY_ENDPOINT_URL's value when Ably answers on the page's own origin (the dev host proxies its emulator there).
SAME_ORIGIN = "same-origin"

DEFAULT_TOKEN_TTL_SECONDS = 3600
# Ably caps token lifetimes at 24 hours; anything longer would be refused when the token is requested.
MAX_TOKEN_TTL_SECONDS = 86400

# appId.keyId:secret — the name part has exactly one dot and no colon; the secret is everything after the colon.
_API_KEY_SHAPE = re.compile(r"^[^.:\s]+\.[^.:\s]+:\S+$")


# The settings a host running several apps in one process (the dev host) gave the request being served; unset on
# Azure, where each app has its own process and its settings are that process's environment.
_hosted: ContextVar[Mapping[str, str]] = ContextVar("hosted_settings")


class _AppSettings(Mapping[str, str]):
    """What the functions read: os.environ, as on Azure, unless their host gave this request its own (`hosted`)."""

    def __getitem__(self, name: str) -> str:
        return _hosted.get(os.environ)[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_hosted.get(os.environ))

    def __len__(self) -> int:
        return len(_hosted.get(os.environ))


APP_SETTINGS: Mapping[str, str] = _AppSettings()


@contextlib.contextmanager
def hosted(values: Mapping[str, str]) -> Iterator[None]:
    """Read `values` instead of os.environ within this block, and in the tasks and threads it starts.

    The dev host enters it around each call, so that dev hosts with different settings share one process.
    """
    token = _hosted.set(values)
    try:
        yield
    finally:
        _hosted.reset(token)


@dataclass(frozen=True)
class Endpoint:
    """Where browsers find Ably when it is not the real service (the local emulator)."""

    host: str
    port: int
    tls: bool


def api_key(environ: Mapping[str, str] = APP_SETTINGS) -> str:
    """Return ABLY_API_KEY, or raise an ApiError (500) naming the setting when it is absent or malformed."""
    value = environ.get(API_KEY, "").strip()
    if not value:
        raise missing_setting(API_KEY)
    if not _API_KEY_SHAPE.match(value):
        raise invalid_setting(API_KEY, "an Ably API key of the form appId.keyId:secret")
    return value


def token_ttl_seconds(environ: Mapping[str, str] = APP_SETTINGS) -> int:
    """Return ABLY_TOKEN_TTL_SECONDS (default 3600), or raise an ApiError (500) when it is not 1..86400."""
    raw = environ.get(TOKEN_TTL_SECONDS, "").strip()
    if not raw:
        return DEFAULT_TOKEN_TTL_SECONDS
    expected = f"a whole number of seconds from 1 to {MAX_TOKEN_TTL_SECONDS}"
    if not raw.isdigit():
        raise invalid_setting(TOKEN_TTL_SECONDS, expected)
    ttl = int(raw)
    if not 1 <= ttl <= MAX_TOKEN_TTL_SECONDS:
        raise invalid_setting(TOKEN_TTL_SECONDS, expected)
    return ttl


def endpoint(environ: Mapping[str, str] = APP_SETTINGS, request_url: str | None = None) -> Endpoint | None:
    """Return ABLY_ENDPOINT_URL parsed, None when unset (real Ably), or raise an ApiError (500) when malformed.

    `same-origin` means the origin of `request_url`, the address the browser used (behind a trusted proxy,
    the one it forwarded), so a page opened over https, on a LAN address or through a tunnel finds Ably there.
    A request whose address is no origin is the request's fault (400), not the setting's.
    """
    raw = environ.get(ENDPOINT_URL, "").strip()
    if not raw:
        return None
    if raw == SAME_ORIGIN and request_url is not None:
        return _request_origin(request_url)
    expected = "an origin such as http://127.0.0.1:8081 (http or https, host, optional port, no path) or same-origin"
    origin = _origin(raw)
    if origin is None or origin.path not in ("", "/") or origin.query or origin.fragment:
        raise invalid_setting(ENDPOINT_URL, expected)
    return _endpoint(origin)


def _origin(url: str) -> SplitResult | None:
    """`url` split, when it has an http(s) scheme, a host, a valid port (if any) and no user name or password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0 or "@" in parts.netloc:
        return None
    return parts


def _endpoint(origin: SplitResult) -> Endpoint:
    tls = origin.scheme == "https"
    assert origin.hostname is not None, "checked by _origin"
    return Endpoint(host=origin.hostname, port=origin.port or (443 if tls else 80), tls=tls)


def _request_origin(request_url: str) -> Endpoint:
    """The origin a request was made to, or a 400 when its host is none (a port over 65535, a user name...)."""
    origin = _origin(request_url)
    if origin is None:
        raise invalid_host()
    return _endpoint(origin)


def share_origin(environ: Mapping[str, str] = APP_SETTINGS, request_url: str | None = None) -> str | None:
    """Return SHARE_ORIGIN for a page only this machine can open (a loopback host), else None.

    The dev host sets it to its LAN or public address, so the invite link on http://localhost works on a
    friend's phone. A page opened at any other address shares its own origin.
    """
    raw = environ.get(SHARE_ORIGIN, "").strip()
    page = None if request_url is None else _origin(request_url)
    if not raw or page is None or not is_loopback_host(page.hostname or ""):
        return None
    parts = _origin(raw)
    if parts is None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise invalid_setting(SHARE_ORIGIN, "an origin such as http://192.168.1.20:4280")
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address (no port) is one only this machine opens: localhost, *.localhost, loopback IPs."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
