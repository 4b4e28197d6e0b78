"""Where each stand-in name goes, written once in Chromium's --host-resolver-rules syntax: the browser takes them as
that flag, and Python clients meet them in the stand-ins' CONNECT proxy (connect_proxy.py), which opens each tunnel
where they say.

    MAP main.realtime.ably.net 127.0.0.1:41234, MAP main.a.fallback.ably-realtime.com ~NOTFOUND, MAP * ~NOTFOUND

Rules apply in order, the first matching pattern wins; a target without a port keeps the one asked for; `~NOTFOUND`
fails the lookup as a DNS failure does. IP literals are never looked up, so they pass through.
"""

import fnmatch
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass

NOT_FOUND = "~NOTFOUND"


@dataclass(frozen=True)
class HostRule:
    """`pattern` (a name, or a glob such as `*.example.com` or `*`) resolves to `address:port`, or nowhere."""

    pattern: str
    address: str | None  # None: the lookup fails
    port: int | None = None

    def __str__(self) -> str:
        if self.address is None:
            return f"MAP {self.pattern} {NOT_FOUND}"
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"MAP {self.pattern} {host}" + (f":{self.port}" if self.port is not None else "")


@dataclass(frozen=True)
class HostRules:
    """An ordered list of rules; `str()` is the flag's value."""

    rules: tuple[HostRule, ...]

    @classmethod
    def only(cls, targets: Mapping[str, tuple[str, int] | None]) -> "HostRules":
        """These names (each to `(address, port)`, or None for a failed lookup), and no other name at all."""
        rules = [HostRule(name, *target) if target else HostRule(name, None) for name, target in targets.items()]
        return cls((*rules, HostRule("*", None)))

    def __str__(self) -> str:
        return ", ".join(str(rule) for rule in self.rules)

    def chromium_args(self) -> list[str]:
        return [f"--host-resolver-rules={self}"]

    def target(self, host: str, port: int) -> tuple[str, int]:
        """Where a connection to `host:port` goes; raises socket.gaierror for a name that must not resolve."""
        if _is_ip_literal(host):
            return host, port
        for rule in self.rules:
            if fnmatch.fnmatchcase(host.lower(), rule.pattern.lower()):
                if rule.address is None:
                    raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known ({host}: stand-in rules)")
                return rule.address, port if rule.port is None else rule.port
        return host, port


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
