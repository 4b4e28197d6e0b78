"""This machine's addresses on its networks, for the URLs friends on the same network can open."""

import contextlib
import ipaddress
import socket

# Connecting a UDP socket sends nothing: it only asks the kernel which local address would route there.
_ROUTE_PROBES = ("192.0.2.1", "10.255.255.255", "172.31.255.255", "192.168.255.255")


WILDCARDS = ("", "0.0.0.0", "::")


def local_host(host: str) -> str:
    """The address to open on this machine for a server bound to `host` (a wildcard means loopback)."""
    return {"::": "::1"}.get(host, "127.0.0.1") if host in WILDCARDS else host


def shareable_hosts(host: str) -> list[str]:
    """The addresses other machines can use for a server bound to `host` (none when bound to loopback)."""
    if host in WILDCARDS:
        return lan_addresses()
    return [host] if listens_beyond_loopback(host) else []


def listens_beyond_loopback(host: str) -> bool:
    """Return whether a server bound to `host` can be reached from other machines."""
    if host in WILDCARDS:
        return True
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def lan_addresses() -> list[str]:
    """Return this machine's IPv4 addresses other machines may reach (not loopback or link-local), best first."""
    found: list[str] = []
    for probe in _ROUTE_PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.connect((probe, 9))
            except OSError:
                continue
            found.append(udp.getsockname()[0])
    with contextlib.suppress(OSError):
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    usable = []
    for address in dict.fromkeys(found):
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            usable.append(address)
    return usable
