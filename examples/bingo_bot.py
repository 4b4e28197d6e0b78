"""A bot that plays bingo in a session: it keeps the card the host deals it, marks each number called and claims
"Bingo!" as soon as it has a line; the host verifies the claim. It prints its card, each claim and verdict, and the
winner, and plays every round until Ctrl-C. From the repository root:

    .venv/bin/python -m examples.bingo_bot http://127.0.0.1:4280/s/<session> [--name NAME]
"""

import argparse
import asyncio
import sys
from typing import Any

from p2p.cli import sender_name
from p2p.command import join, run, say, session_link
from p2p.link import SessionLink
from p2p.session import P2PSession
from p2p.site import Site


def cells(card: list[int], indices: range | list[int]) -> str:
    return " ".join(str(card[index]) if card[index] else "*" for index in indices)


async def play(bot: P2PSession) -> None:
    """Play every round: claim once per call when the card has a line (again after a refusal), say what happens."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    bot.on("bingo", events.put_nowait)
    bingo = bot.bingo
    claimed_at: tuple[int, int] | None = None
    while True:
        event = await events.get()
        state, card = bingo.round, bingo.card
        if state is None:
            continue
        if event["event"] == "card":
            rows = [cells(event["card"], range(row * 5, row * 5 + 5)) for row in range(5)]
            say(f"Card for round {state.round}: {' / '.join(rows)}")
        elif event["event"] == "refused":
            say(f"Not a bingo yet ({event['reason']})")
        elif event["event"] == "winner":
            winner = event["winner"]
            line = cells(winner["card"], winner["line"])
            say(f"Winner of round {state.round}: {sender_name(bot, winner['player'])} ({line})")
        turn = (state.round, len(state.calls))
        if card and bingo.line and bingo.claim is None and state.phase != "won" and claimed_at != turn:
            claimed_at = turn
            say(f"Bingo! Claiming {cells(card['card'], bingo.line)}")
            await bingo.claim_bingo()


async def main(link: SessionLink, name: str) -> None:
    site = Site(link.origin)
    bot = P2PSession(link.session_id or "", site.realtime_for, friendly_name=name)
    try:
        await join(bot, site)  # a site or a session it cannot join ends the bot with one line (p2p/command.py)
        say(f"Joined {link.session_id} as {bot.identity.friendly_name}: playing bingo (Ctrl-C leaves)")
        await play(bot)
    finally:
        await bot.close()  # the presence leave reaches everyone at once
        await site.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m examples.bingo_bot", description="Play bingo in a session.")
    parser.add_argument("link", type=session_link, help="the session's invite link, e.g. http://127.0.0.1:4280/s/abc")
    parser.add_argument("--name", default="Bingo Bot", help="the name the others see (default: Bingo Bot)")
    arguments = parser.parse_args()
    sys.exit(run("bingo_bot", main(arguments.link, arguments.name)))
