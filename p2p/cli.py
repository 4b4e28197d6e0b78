"""`python -m p2p join <session link>` and `python -m p2p host <site URL> [--stream]`: a peer on the command line.

It prints one line per change (players, words, host) and leaves the session cleanly (a presence leave) on Ctrl-C
or SIGTERM. Every line goes through printable(): words and names come from other peers, errors from the site.
A bad link, or a site that is down or answers anything unusable, gets one line on stderr and exit status 2; a
session that cannot be joined (full, refused by Ably, no answer in time) gets one line and exit status 1.
"""

import argparse
import asyncio
import io
import signal
import sys
from typing import Any, TextIO

from ably.util.exceptions import AblyException

from .link import SiteError, parse_link
from .pubsub import NoClientId
from .rules import WORD_INTERVAL_S, random_session_id
from .session import P2PSession
from .site import Site
from .terminal import clip, printable

CONNECT_TIMEOUT_S = 20.0
SESSION_FULL = 91003
EXIT_CANNOT_JOIN = 1
EXIT_BAD_SITE = 2


class CannotJoin(Exception):
    """The site is fine but the session could not be joined: one sentence for the command line."""


def seconds(text: str) -> float:
    """A word interval: a positive number of seconds (argparse turns the ValueError into a usage error)."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(text)
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m p2p", description="Join or host a session as a Python peer.")
    commands = parser.add_subparsers(dest="command", required=True)
    join = commands.add_parser("join", help="join the session a link names, e.g. http://127.0.0.1:4280/s/abc")
    join.add_argument("link", help="the session's invite link")
    host = commands.add_parser("host", help="start a new session on a site and print its invite link")
    host.add_argument("site", help="the site's address, e.g. http://127.0.0.1:4280")
    host.add_argument("--stream", action="store_true", help="stream the demo phrase once hosting")
    for command in (join, host):
        command.add_argument("--name", default="", help="the name the others see (default: Bot-<n>)")
        command.add_argument(
            "--word-interval",
            type=seconds,
            default=WORD_INTERVAL_S,
            metavar="SECONDS",
            help=f"time between streamed words while this peer hosts (default: {WORD_INTERVAL_S}, as the site)",
        )
    return parser.parse_args(argv)


def say(line: str, stream: TextIO | None = None) -> None:
    """Print one line, escaped: the only way this command prints."""
    print(printable(line), file=stream or sys.stdout, flush=True)


def describe(players: list[dict[str, Any]]) -> str:
    def label(player: dict[str, Any]) -> str:
        marks = [mark for mark, flag in (("host", player["isHost"]), ("you", player["isMe"])) if flag]
        return player["friendlyName"] + (f" ({', '.join(marks)})" if marks else "")

    return ", ".join(label(player) for player in players) or "(nobody)"


def host_name(session: P2PSession) -> str:
    return next((p["friendlyName"] for p in session.state.players if p["isHost"]), "(nobody)")


async def run(args: argparse.Namespace) -> int:
    link = parse_link(args.link if args.command == "join" else args.site, session_required=args.command == "join")
    session_id = link.session_id or random_session_id()
    site = Site(link.origin)
    session = P2PSession(session_id, site.realtime_for, friendly_name=args.name, word_interval=args.word_interval)
    stopping = asyncio.Event()
    joined = False
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    shown = {"players": ""}

    def show_players(players: list[dict[str, Any]]) -> None:
        line = f"Players: {describe(players)}"
        if line != shown["players"]:
            shown["players"] = line
            say(line)

    session.on("players", show_players)
    session.on("words", lambda _added: say(f"Words: {session.state.received_words}"))
    session.on(
        "host-changed", lambda change: say("You are the host" if change["isHost"] else f"Host: {host_name(session)}")
    )
    session.on("error", lambda detail: say(f"Warning: {detail['summary']} ({clip(str(detail['error']))})"))
    try:
        await site.ably_address()
        starting = asyncio.ensure_future(session.start())
        waiting = [asyncio.ensure_future(event.wait()) for event in (stopping, site.failed)]
        await asyncio.wait([starting, *waiting], timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        for task in waiting:
            task.cancel()
        if site.failure is not None or not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)  # its outcome no longer matters
        if site.failure is not None:
            raise site.failure
        if starting.cancelled():
            if stopping.is_set():
                return 0  # Ctrl-C while joining
            raise CannotJoin(f"could not join within {CONNECT_TIMEOUT_S:.0f} s (is Ably reachable?)")
        starting.result()
        joined = True
        say(f"Joined {session_id} as {session.identity.friendly_name}")
        if args.command == "host":
            say(f"Share: {link.origin}/s/{session_id}")
            if args.stream and session.is_host:
                stream = asyncio.ensure_future(session.stream_words())
                await asyncio.wait(
                    [stream, asyncio.ensure_future(stopping.wait())], return_when=asyncio.FIRST_COMPLETED
                )
                if stream.done() and not stream.exception():
                    say("Streamed the phrase")
        await stopping.wait()
        return 0
    except NoClientId as error:
        raise CannotJoin(str(error)) from None
    except AblyException as error:
        if error.code == SESSION_FULL:
            raise CannotJoin("this session is full (Ably 91003): ask its host, or host a new session") from None
        raise CannotJoin(f"Ably refused: {clip(str(error.message))} (code {error.code})") from None
    finally:
        await session.close()
        await site.close()
        if joined:
            say("Left the session")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")  # a terminal that cannot show a name gets it escaped
    try:
        return asyncio.run(run(args))
    except SiteError as error:
        say(f"p2p: {error}", sys.stderr)
        return EXIT_BAD_SITE
    except CannotJoin as error:
        say(f"p2p: {error}", sys.stderr)
        return EXIT_CANNOT_JOIN
