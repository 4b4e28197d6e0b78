"""A bot that joins a session and greets every newcomer with a chat line, which every page shows under the bot's
name, and says what it does. From the repository root (Ctrl-C leaves):

    .venv/bin/python -m examples.greeter_bot http://127.0.0.1:4280/s/<session>
"""

import argparse
import asyncio
import sys
from typing import Any

from p2p.command import join, run, say, session_link
from p2p.link import SessionLink
from p2p.session import P2PSession
from p2p.site import Site


async def main(link: SessionLink) -> None:
    site = Site(link.origin)
    bot = P2PSession(link.session_id or "", site.realtime_for, friendly_name="Greeter")
    seen: set[str] = set()
    newcomers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_players(players: list[dict[str, Any]]) -> None:
        for player in players:
            if player["clientId"] not in seen and not player["isMe"]:
                seen.add(player["clientId"])
                # The roster read while joining (status still "disconnected") is who was here first: not greeted.
                if bot.state.status != "disconnected":
                    newcomers.put_nowait(player)

    bot.on("players", on_players)
    try:
        await join(bot, site)  # a site or a session it cannot join ends the bot with one line (p2p/command.py)
        say(f"Joined {link.session_id} as {bot.identity.friendly_name}: greeting newcomers (Ctrl-C leaves)")
        while True:
            player = await newcomers.get()
            await bot.say(f"Welcome, {player['friendlyName']}!")  # a chat line: every page shows it
            say(f"Greeted {player['friendlyName']}")
    finally:
        await bot.close()  # the presence leave reaches everyone at once
        await site.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m examples.greeter_bot", description="Greet every newcomer.")
    parser.add_argument("link", type=session_link, help="the session's invite link, e.g. http://127.0.0.1:4280/s/abc")
    sys.exit(run("greeter_bot", main(parser.parse_args().link)))
