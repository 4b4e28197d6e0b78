"""The address a browser used: its Host header, or what a TLS-terminating proxy on this machine says it was.

A proxy in front of the dev host (a tunnel client, Codespaces port forwarding, a local TLS terminator) connects
from loopback and says where the browser really was with `X-Forwarded-Proto` and `X-Forwarded-Host`. Those
headers are believed only from loopback peers: anyone else could claim any origin. The request is then seen
with the browser's scheme and host, so /api/clientConfig sends a page opened over https to `wss://`.

The functions build their origin from the host, so a host that is not a host name or address with a port of
1-65535 (`a.example:99999`, `u@a.example`, two Host headers) is refused with a 400 before anything else runs.
"""

import ipaddress
import re

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from yarl import URL

FORWARDED_PROTO = "X-Forwarded-Proto"
FORWARDED_HOST = "X-Forwarded-Host"
# host[:port]: a DNS name (underscores allowed, as in container names), an IPv4 address or a bracketed IPv6
# literal, with an optional port.
_HOST = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>\d{1,5}))?"
)


def is_loopback(address: str | None) -> bool:
    """Return whether a peer address is this machine's loopback (where a local proxy connects from)."""
    try:
        return address is not None and ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def is_host(text: str) -> bool:
    """Return whether `text` is a `host[:port]` an origin can be made of (the port, if any, 1-65535)."""
    match = _HOST.fullmatch(text)
    if match is None or (match["port"] is not None and not 1 <= int(match["port"]) <= 65535):
        return False
    try:
        if match["ipv6"] is not None:
            ipaddress.IPv6Address(match["ipv6"])
        URL.build(scheme="http", authority=text)  # what aiohttp does with it for `request.url`
    except ValueError:  # UnicodeError included: a name yarl cannot encode (an empty label)
        return False
    return True


def _first(value: str) -> str:
    """A proxy chain appends; the first entry is what the browser used."""
    return value.split(",", 1)[0].strip()


def browser_origin(request: web.Request) -> tuple[str, str]:
    """The scheme and host the browser used: the request's own, or what a loopback proxy says they were.

    Raises HTTPBadRequest (400) for a malformed Host or a malformed claim.
    """
    hosts = request.headers.getall(hdrs.HOST, [])
    if len(hosts) > 1 or (hosts and not is_host(hosts[0])):
        raise web.HTTPBadRequest(text="Host must be one host name or address, with an optional port (1-65535)\n")
    proto = request.headers.get(FORWARDED_PROTO)
    host = request.headers.get(FORWARDED_HOST)
    if (proto is None and host is None) or not is_loopback(request.remote):
        return request.scheme, request.host
    scheme = request.scheme if proto is None else _first(proto).lower()
    if scheme not in ("http", "https"):
        raise web.HTTPBadRequest(text=f"{FORWARDED_PROTO} must be http or https\n")
    forwarded_host = request.host if host is None else _first(host)
    if not is_host(forwarded_host):
        raise web.HTTPBadRequest(text=f"{FORWARDED_HOST} must be a host with an optional port (1-65535)\n")
    return scheme, forwarded_host


@web.middleware
async def trust_local_proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
    """See a loopback proxy's request with the browser's scheme and host; refuse malformed hosts and claims (400)."""
    scheme, host = browser_origin(request)
    if (scheme, host) == (request.scheme, request.host):
        return await handler(request)
    return await handler(request.clone(scheme=scheme, host=host))
