"""`python -m p2p join <session link>` and `python -m p2p host <site URL> [--stream | --bingo]`: a peer on the
command line.

It prints one line per change (players, words, host, chat lines, bingo's rounds and winners, and messages of kinds it
does not know) and leaves the session cleanly (a presence leave) on Ctrl-C or SIGTERM. What it does on failure:
p2p/command.py.
"""

import argparse
import asyncio
import json
from typing import Any

from .bingo.rules import DEFAULT_PACE_MS, MAX_PACE_MS, MIN_PACE_MS
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


def pace(text: str) -> int:
    """Bingo's pace: whole milliseconds within the protocol's bounds (argparse turns the ValueError into a usage
    error)."""
    value = int(text)
    if not MIN_PACE_MS <= value <= MAX_PACE_MS:
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
    host.add_argument("--bingo", action="store_true", help="host a round of bingo once a player has joined")
    host.add_argument(
        "--pace-ms",
        type=pace,
        default=DEFAULT_PACE_MS,
        metavar="MS",
        help=f"with --bingo: the pause between calls ({MIN_PACE_MS} to {MAX_PACE_MS}; default: {DEFAULT_PACE_MS})",
    )
    host.add_argument(
        "--wait-for",
        type=count,
        metavar="N",
        help="with --stream or --bingo: start once N players have joined (default: 1; 0 starts at once)",
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
    if args.command == "host" and args.wait_for is not None and not (args.stream or args.bingo):
        host.error("--wait-for goes with --stream or --bingo")
    if args.command == "host" and args.stream and args.bingo:
        host.error("--stream and --bingo: one at a time")
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


def show_bingo(session: P2PSession, event: dict[str, Any]) -> None:
    """A round's start and its winner, in one line each (a bot shows its card and claims: examples/bingo_bot.py)."""
    round_ = session.bingo.round
    assert round_ is not None, "a bingo event comes with a round"
    if event["event"] == "round":
        say(f"Bingo round {round_.round}: {len(round_.dealt)} cards dealt, a number every {round_.pace_ms} ms")
    elif event["event"] == "winner":
        winner = event["winner"]
        say(f"Bingo winner of round {round_.round}: {sender_name(session, winner['player'])}")


async def once_joined(session: P2PSession, players_wanted: int, what: str) -> bool:
    """Wait until `players_wanted` others are in the session, so that someone sees `what`; whether this peer still
    hosts then."""
    others = asyncio.Event()

    def count(players: list[dict[str, Any]]) -> None:
        if sum(not player["isMe"] for player in players) >= players_wanted:
            others.set()

    session.on("players", count)
    count(session.state.players)
    if not others.is_set():
        say(f"Waiting for {players_wanted} player{'s' * (players_wanted != 1)} to join before {what}")
        await others.wait()
    if not session.is_host:
        say(f"Not {what}: {host_name(session)} hosts")
    return session.is_host


async def stream_once_joined(session: P2PSession, players_wanted: int) -> None:
    """Stream the phrase once `players_wanted` others are in the session."""
    if not await once_joined(session, players_wanted, "streaming"):
        return
    say("Streaming the phrase")
    await session.stream_words()
    say("Streamed the phrase")


async def run_peer(args: argparse.Namespace) -> None:
    link = args.link
    session_id = link.session_id or random_session_id()
    site = Site(link.origin)
    session = P2PSession(session_id, site.realtime_for, friendly_name=args.name, word_interval=args.word_interval)
    session.on("bingo", lambda event: show_bingo(session, event))
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
            wanted = 1 if args.wait_for is None else args.wait_for
            if args.stream:
                await stream_once_joined(session, wanted)
            if args.bingo and await once_joined(session, wanted, "dealing"):
                await session.bingo_host.start_round(args.pace_ms)
        await asyncio.Event().wait()  # until Ctrl-C or SIGTERM cancels this
    finally:
        await session.close()
        await site.close()
        if joined:
            say("Left the session")


def main(argv: list[str] | None = None) -> int:
    return run("p2p", run_peer(parse_args(argv)))
