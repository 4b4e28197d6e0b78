"""A bot that greets every newcomer with a message kind of its own, `greeting` (browsers ignore kinds they have no
handler for, until you add one as in the README's "Adding a message kind"). From the repository root (Ctrl-C leaves):

    .venv/bin/python -m examples.greeter_bot http://127.0.0.1:4280/s/<session>
"""

import asyncio
import contextlib
import sys
from typing import Any

from p2p.link import parse_link
from p2p.session import P2PSession
from p2p.site import Site


async def main(url: str) -> None:
    link = parse_link(url, session_required=True)
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
        await bot.start()
        while True:
            player = await newcomers.get()
            text = f"Welcome, {player['friendlyName']}!"
            await bot.send({"kind": "greeting", "to": player["clientId"], "text": text})
    finally:
        await bot.close()  # the presence leave reaches everyone at once
        await site.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(sys.argv[1]))
