"""The address a browser used, behind a TLS-terminating proxy or tunnel client running on this machine.

A proxy in front of the dev host (a tunnel client, Codespaces port forwarding, a local TLS terminator) connects
from loopback and says where the browser really was with `X-Forwarded-Proto` and `X-Forwarded-Host`. Those
headers are believed only from loopback peers: anyone else could claim any origin. The request is then seen
with the browser's scheme and host, so /api/clientConfig sends a page opened over https to `wss://`.
"""

import ipaddress
import re

from aiohttp import web
from aiohttp.typedefs import Handler

FORWARDED_PROTO = "X-Forwarded-Proto"
FORWARDED_HOST = "X-Forwarded-Host"
# host[:port]: a DNS name, an IPv4 address or a bracketed IPv6 literal, with an optional port.
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


def is_loopback(address: str | None) -> bool:
    """Return whether a peer address is this machine's loopback (where a local proxy connects from)."""
    try:
        return address is not None and ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _first(value: str) -> str:
    """A proxy chain appends; the first entry is what the browser used."""
    return value.split(",", 1)[0].strip()


@web.middleware
async def trust_local_proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
    """See a loopback proxy's request with the browser's scheme and host; refuse malformed claims (400)."""
    proto = request.headers.get(FORWARDED_PROTO)
    host = request.headers.get(FORWARDED_HOST)
    if (proto is None and host is None) or not is_loopback(request.remote):
        return await handler(request)
    scheme = request.scheme if proto is None else _first(proto).lower()
    if scheme not in ("http", "https"):
        raise web.HTTPBadRequest(text=f"{FORWARDED_PROTO} must be http or https\n")
    forwarded_host = request.host if host is None else _first(host)
    if not _HOST.match(forwarded_host):
        raise web.HTTPBadRequest(text=f"{FORWARDED_HOST} must be a host with an optional port\n")
    return await handler(request.clone(scheme=scheme, host=forwarded_host))
