"""The process's open-file limit, raised so a session of friends is not cut short by the system's default.

Each page's WebSocket costs the dev host three sockets (the page's, the proxy's to the emulator and the
emulator's end of it, all in this process), so Linux's usual soft limit of 1,024 files would refuse the ~340th
page, and macOS's 256 the ~85th. The soft limit may be raised up to the hard limit without privileges.
"""

import logging
import resource

# Files each proxied WebSocket holds open in this process.
FILES_PER_WEBSOCKET = 3
# Enough for thousands of pages. macOS refuses a soft limit above its per-process maximum (10,240 by default).
WANTED = 65536
MACOS_MAXIMUM = 10240
# Below this many pages at once, say how to raise the limit.
ENOUGH_WEBSOCKETS = 1000
_log = logging.getLogger(__name__)


def raise_open_file_limit(wanted: int = WANTED) -> int:
    """Raise the soft limit on open files towards `wanted` (never lower it); return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    for target in (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), MACOS_MAXIMUM):
        if target <= soft:
            continue
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        soft = target
        break
    if soft // FILES_PER_WEBSOCKET < ENOUGH_WEBSOCKETS:
        _log.warning(
            "devserver: this process may open %d files, about %d pages at once; `ulimit -n` raises the limit",
            soft,
            soft // FILES_PER_WEBSOCKET,
        )
    return soft
