"""What every command-line peer does alike, `python -m p2p` and bots (examples/greeter_bot.py): read its link, join
within a bound, leave cleanly on Ctrl-C or SIGTERM, and end with one line and an exit status, never a traceback.

Exit status 2: a bad command line (argparse prints the usage line), or a site that is down or answers anything
unusable; 1: a session that cannot be joined (full, refused by Ably, no answer in time); 0: left on Ctrl-C or SIGTERM.
Every line goes through printable(): names, words and errors come from the network.
"""

import argparse
import asyncio
import io
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TextIO

from ably.util.exceptions import AblyException

from .link import SessionLink, SiteError, parse_link
from .pubsub import NoClientId
from .session import P2PSession
from .site import Site
from .terminal import clip, printable

CONNECT_TIMEOUT_S = 20.0
SESSION_FULL = 91003
EXIT_CANNOT_JOIN = 1
EXIT_BAD_SITE = 2


class CannotJoin(Exception):
    """The site is fine but the session could not be joined: one sentence for the command line."""


def session_link(text: str) -> SessionLink:
    """An argparse type: a session's invite link, e.g. http://127.0.0.1:4280/s/abc (a usage error if not)."""
    try:
        return parse_link(text, session_required=True)
    except SiteError as error:
        raise argparse.ArgumentTypeError(printable(error)) from None


def site_link(text: str) -> SessionLink:
    """An argparse type: a site's address, e.g. http://127.0.0.1:4280 (a usage error if not)."""
    try:
        return parse_link(text, session_required=False)
    except SiteError as error:
        raise argparse.ArgumentTypeError(printable(error)) from None


def say(line: str, stream: TextIO | None = None) -> None:
    """Print one line, escaped: the only way a command prints."""
    print(printable(line), file=stream or sys.stdout, flush=True)


def refused(error: AblyException) -> CannotJoin:
    if error.code == SESSION_FULL:
        return CannotJoin("this session is full (Ably 91003): ask its host, or host a new session")
    return CannotJoin(f"Ably refused: {clip(str(error.message))} (code {error.code})")


async def join(session: P2PSession, site: Site) -> None:
    """Start `session` within CONNECT_TIMEOUT_S.

    Raises SiteError when the site fails, before or while ably-python connects (a failed token request, which
    ably-python would only retry), and CannotJoin when Ably refuses or does not answer in time.
    """
    await site.ably_address()
    starting = asyncio.ensure_future(session.start())
    failed = asyncio.ensure_future(site.failed.wait())
    try:
        await asyncio.wait([starting, failed], timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
    finally:
        failed.cancel()
        if site.failure is not None or not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)  # its outcome no longer matters
    if site.failure is not None:
        raise site.failure
    if starting.cancelled():
        raise CannotJoin(f"could not join within {CONNECT_TIMEOUT_S:.0f} s (is Ably reachable?)")
    try:
        starting.result()
    except NoClientId as error:
        raise CannotJoin(str(error)) from None
    except AblyException as error:
        raise refused(error) from None


async def until_signalled(work: Coroutine[Any, Any, int | None]) -> int:
    """Run `work`, cancelled by Ctrl-C or SIGTERM (its `finally` leaves the session): its status, 0 when cancelled."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await task or 0
    except asyncio.CancelledError:
        if task.cancelled():
            return 0
        raise


def run(name: str, work: Coroutine[Any, Any, int | None]) -> int:
    """Run a command's `work` to its exit status: a failure is one line on stderr (`name: ...`), not a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")  # a terminal that cannot show a name gets it escaped
    try:
        return asyncio.run(until_signalled(work))
    except SiteError as error:
        say(f"{name}: {error}", sys.stderr)
        return EXIT_BAD_SITE
    except (CannotJoin, AblyException) as error:
        say(f"{name}: {refused(error) if isinstance(error, AblyException) else error}", sys.stderr)
        return EXIT_CANNOT_JOIN
