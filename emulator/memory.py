"""Giving freed memory back to the operating system after a burst (dropped history, channels, connections).

CPython and glibc keep what was freed for reuse, so without this the resident set stays near its peak long after
the burst is gone; glibc's `malloc_trim` returns the free pages (tens of milliseconds for a few hundred MB, so it is
called only when much was dropped). Elsewhere (no glibc) it does nothing.
"""

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back() -> None:
    """Return the heap's free pages to the operating system, where the C library can."""
    if _TRIM is not None:
        _TRIM(0)
