"""The README's example bot (examples/greeter_bot.py) in a session of Python peers: it greets newcomers only."""

import asyncio
import inspect
from pathlib import Path
from typing import Any

from devserver import DevServer
from examples.greeter_bot import main as greeter_bot
from p2p.session import P2PSession

from .conftest import Peers, eventually


def greetings_heard_by(session: P2PSession) -> list[dict[str, Any]]:
    heard: list[dict[str, Any]] = []
    session.on("message", lambda message: heard.append(message) if message["kind"] == "greeting" else None)
    return heard


def client_id_of(session: P2PSession, name: str) -> str | None:
    return next((p["clientId"] for p in session.state.players if p["friendlyName"] == name), None)


async def test_the_greeter_bot_greets_each_newcomer_once_and_not_who_was_there_before_it(dev: DevServer, peers: Peers):
    ada = await peers.join("greet", "Ada")
    heard_by_ada = greetings_heard_by(ada)
    announced: list[str] = []
    ada.on("message", lambda message: announced.append(message["from"]) if message["kind"] == "connected" else None)
    bot = asyncio.ensure_future(greeter_bot(f"{dev.url}/s/greet"))
    try:
        # The bot asks the host (Ada) for its snapshot once it has read the roster it found: from then on, newcomers.
        await eventually(lambda: client_id_of(ada, "Greeter") in announced, "the bot's announcement to Ada")
        bob = peers.new("greet", "Bob")
        heard_by_bob = greetings_heard_by(bob)
        await asyncio.wait_for(bob.start(), 10)
        cyd = await peers.join("greet", "Cyd")
        await eventually(lambda: len(heard_by_bob) == 2 and len(heard_by_ada) == 2, "greetings for Bob and Cyd")
        greeter = client_id_of(ada, "Greeter")
        for heard in (heard_by_ada, heard_by_bob):
            assert [(greeting["to"], greeting["text"], greeting["from"]) for greeting in heard] == [
                (bob.state.my_client_id, "Welcome, Bob!", greeter),
                (cyd.state.my_client_id, "Welcome, Cyd!", greeter),
            ]
    finally:
        bot.cancel()  # what Ctrl-C does to asyncio.run's task
        await asyncio.wait_for(asyncio.gather(bot, return_exceptions=True), 10)
    await eventually(lambda: client_id_of(ada, "Greeter") is None, "the bot's presence leave at Ada's")


def test_the_readme_shows_the_bot_exactly_as_the_tested_example_has_it():
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    assert inspect.getsource(greeter_bot) in readme
