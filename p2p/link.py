"""Session links as people paste them: the site (scheme, host, port) and the session id, read strictly.

The link is the only thing that says where the peer may connect (the site, and Ably when the site serves it on the
same host), so a link that is not plainly one site is refused with one sentence rather than guessed at.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from api.token_policy import is_valid_session_id

from .terminal import clip

EXAMPLE = "http://127.0.0.1:4280/s/<session>"
DEFAULT_PORTS = {"http": 80, "https": 443}
URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?:[?#].*)?", re.S)
SESSION_PATH = re.compile(r"/s/(?P<id>[^/]+)/?")
PORT = re.compile(r"[0-9]{1,5}")
DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_DNS_NAME = 253
BRACKETS = "an IPv6 address goes in brackets, e.g. http://[::1]:4280"


class SiteError(Exception):
    """Something about the link or the site that the user can act on: one sentence for the command line."""


@dataclass(frozen=True)
class SessionLink:
    """A site and, for a session link, the session id; `host` is as URLs write it (IPv6 in brackets)."""

    scheme: str
    host: str
    port: int | None
    session_id: str | None

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")


def parse_link(url: str, session_required: bool) -> SessionLink:
    """`https://site/s/<id>` → its site and session; a bare site URL is accepted when no session is required."""
    text = url.strip()

    def refused(reason: str) -> SiteError:
        return SiteError(f"not a link to the site: {clip(text)!r} ({reason})")

    match = URL.fullmatch(text)
    if match is None or match["scheme"].lower() not in DEFAULT_PORTS:
        raise refused(f"expected e.g. {EXAMPLE}")
    scheme = match["scheme"].lower()
    try:
        host_text, port_text = split_authority(match["authority"])
        host, port = canonical_host(host_text), parse_port(port_text, scheme)
    except ValueError as error:
        raise refused(str(error)) from None
    site = SessionLink(scheme, host, port, None)
    path = match["path"]
    if session := SESSION_PATH.fullmatch(path):
        session_id = unquote(session["id"])
        if not is_valid_session_id(session_id):
            raise SiteError(
                f"not a valid session id: {clip(session_id, 80)!r} (letters, digits, '-' and '_', at most 64)"
            )
        return SessionLink(scheme, host, port, session_id)
    if session_required or path not in ("", "/"):
        raise SiteError(f"not a session link: {clip(text)!r} (expected {site.origin}/s/<session>)")
    return site


def split_authority(authority: str) -> tuple[str, str | None]:
    """`host[:port]` → the host and the port as written (None without a colon); ValueError says what is wrong."""
    if "@" in authority:
        raise ValueError("a user name or password in a link is not supported")
    if authority.startswith("["):
        end = authority.find("]")
        rest = authority[end + 1 :]
        if end < 0 or rest[:1] not in ("", ":"):
            raise ValueError(BRACKETS)
        return authority[: end + 1], rest[1:] if rest else None
    if "[" in authority or "]" in authority or authority.count(":") > 1:
        raise ValueError(BRACKETS)
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def parse_port(text: str | None, scheme: str) -> int | None:
    """The port a URL names, None for its scheme's default (`host:` too, as browsers read it); ValueError if bad."""
    if not text:
        return None
    if not PORT.fullmatch(text) or not 0 < int(text) < 65536:
        raise ValueError(f"port {clip(text, 20)!r}: expected a number from 1 to 65535")
    return None if int(text) == DEFAULT_PORTS[scheme] else int(text)


def canonical_host(text: str) -> str:
    """A host as URLs write it: `[v6]`, a dotted-quad IPv4, or a lower-case ASCII DNS name; ValueError says why not.

    Like browsers, a name whose last label is a number must be an IPv4 address (`256.256.256.256`, `127.1` are not).
    """
    if text.startswith("[") and text.endswith("]"):
        try:
            address = ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            address = None
        if address is None or address.scope_id:
            raise ValueError(f"not a valid IPv6 address: {clip(text, 60)!r}")
        return f"[{address.compressed}]"
    if not text:
        raise ValueError("no host")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a valid host name: {clip(text, 60)!r}") from None
    name = text.lower()
    last = name.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise ValueError(f"not a valid IPv4 address: {clip(text, 60)!r}") from None
    if len(name) > MAX_DNS_NAME or not all(DNS_LABEL.fullmatch(label) for label in name.split(".")):
        raise ValueError(f"not a valid host name: {clip(text, 60)!r}")
    return name
