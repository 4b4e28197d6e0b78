"""`python -m p2p join <session link>` and `python -m p2p host <site URL> [--stream]`: a peer on the command line.

It prints one line per change (players, words, host, chat lines and messages of kinds it does not know) and leaves
the session cleanly (a presence leave) on Ctrl-C or SIGTERM. What it does on failure: p2p/command.py.
"""

import argparse
import asyncio
import json
from typing import Any

from .command import join, run, say, session_link, site_link
from .rules import WORD_INTERVAL_S, random_session_id
from .session import KINDS, P2PSession
from .site import Site
from .terminal import clip, printable

# How much of a message of an unknown kind is printed, escaped: its kind and its payload, as JSON.
KIND_SHOWN = 40
PAYLOAD_SHOWN = 120


def seconds(text: str) -> float:
    """A word interval: a positive number of seconds (argparse turns the ValueError into a usage error)."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(text)
    return value


def count(text: str) -> int:
    """How many players to wait for: a whole number, 0 or more (argparse turns the ValueError into a usage error)."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m p2p", description="Join or host a session as a Python peer.")
    commands = parser.add_subparsers(dest="command", required=True)
    join_command = commands.add_parser("join", help="join the session a link names, e.g. http://127.0.0.1:4280/s/abc")
    join_command.add_argument("link", type=session_link, help="the session's invite link")
    host = commands.add_parser("host", help="start a new session on a site and print its invite link")
    host.add_argument("link", metavar="site", type=site_link, help="the site's address, e.g. http://127.0.0.1:4280")
    host.add_argument("--stream", action="store_true", help="stream the demo phrase once a player has joined")
    host.add_argument(
        "--wait-for",
        type=count,
        metavar="N",
        help="with --stream: stream once N players have joined (default: 1; 0 streams at once)",
    )
    for command in (join_command, host):
        command.add_argument("--name", default="", help="the name the others see (default: Bot-<n>)")
        command.add_argument(
            "--word-interval",
            type=seconds,
            default=WORD_INTERVAL_S,
            metavar="SECONDS",
            help=f"time between streamed words while this peer hosts (default: {WORD_INTERVAL_S}, as the site)",
        )
    args = parser.parse_args(argv)
    if args.command == "host" and args.wait_for is not None and not args.stream:
        host.error("--wait-for goes with --stream")
    return args


def describe(players: list[dict[str, Any]]) -> str:
    def label(player: dict[str, Any]) -> str:
        marks = [mark for mark, flag in (("host", player["isHost"]), ("you", player["isMe"])) if flag]
        return player["friendlyName"] + (f" ({', '.join(marks)})" if marks else "")

    return ", ".join(label(player) for player in players) or "(nobody)"


def host_name(session: P2PSession) -> str:
    return next((p["friendlyName"] for p in session.state.players if p["isHost"]), "(nobody)")


def sender_name(session: P2PSession, client_id: object) -> str:
    """A sender as the roster names it: names come from presence, never from a message."""
    return next((p["friendlyName"] for p in session.state.players if p["clientId"] == client_id), "(not a player)")


def show_unknown(session: P2PSession, message: dict[str, Any]) -> None:
    """A message of a kind this peer does not know (a bot's own, say), in one bounded line: kind, sender, payload."""
    if message["kind"] in KINDS:
        return
    payload = {key: value for key, value in message.items() if key not in ("kind", "from", "via")}
    shown = clip(printable(json.dumps(payload, ensure_ascii=False, default=str)), PAYLOAD_SHOWN)
    kind = clip(printable(json.dumps(message["kind"], ensure_ascii=False)), KIND_SHOWN)
    say(f"Message {kind} from {sender_name(session, message['from'])}: {shown}")


async def stream_once_joined(session: P2PSession, players_wanted: int) -> None:
    """Stream the phrase once `players_wanted` others are in the session, so that someone sees it."""
    others = asyncio.Event()

    def count(players: list[dict[str, Any]]) -> None:
        if sum(not player["isMe"] for player in players) >= players_wanted:
            others.set()

    session.on("players", count)
    count(session.state.players)
    if not others.is_set():
        say(f"Waiting for {players_wanted} player{'s' * (players_wanted != 1)} to join before streaming")
        await others.wait()
    if not session.is_host:
        say(f"Not streaming: {host_name(session)} hosts")
        return
    say("Streaming the phrase")
    await session.stream_words()
    say("Streamed the phrase")


async def run_peer(args: argparse.Namespace) -> None:
    link = args.link
    session_id = link.session_id or random_session_id()
    site = Site(link.origin)
    session = P2PSession(session_id, site.realtime_for, friendly_name=args.name, word_interval=args.word_interval)
    joined = False
    shown = {"players": ""}

    def show_players(players: list[dict[str, Any]]) -> None:
        line = f"Players: {describe(players)}"
        if line != shown["players"]:
            shown["players"] = line
            say(line)

    session.on("players", show_players)
    session.on("words", lambda _added: say(f"Words: {session.state.received_words}"))
    session.on("chat", lambda line: say(f"Chat: {line['name']}: {line['text']}"))
    session.on("message", lambda message: show_unknown(session, message))
    session.on(
        "host-changed", lambda change: say("You are the host" if change["isHost"] else f"Host: {host_name(session)}")
    )
    session.on("error", lambda detail: say(f"Warning: {detail['summary']} ({clip(str(detail['error']))})"))
    try:
        await join(session, site)
        joined = True
        say(f"Joined {session_id} as {session.identity.friendly_name}")
        if args.command == "host":
            say(f"Share: {await site.share_origin()}/s/{session_id}")
            if args.stream:
                await stream_once_joined(session, 1 if args.wait_for is None else args.wait_for)
        await asyncio.Event().wait()  # until Ctrl-C or SIGTERM cancels this
    finally:
        await session.close()
        await site.close()
        if joined:
            say("Left the session")


def main(argv: list[str] | None = None) -> int:
    return run("p2p", run_peer(parse_args(argv)))
