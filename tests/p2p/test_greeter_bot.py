"""The example bot of docs/python-peer.md (examples/greeter_bot.py) against a dev host: it greets newcomers only,
with a chat line every peer shows under its roster name, says what it does, and gets its command line wrong in one
usage line."""

import asyncio
import inspect
import signal
from pathlib import Path

import pytest

from devserver import DevServer
from examples.greeter_bot import main as greeter_bot
from p2p.link import parse_link
from p2p.session import P2PSession

from .conftest import Peers, eventually
from .test_cli import Cli

BOT = "examples.greeter_bot"


def client_id_of(session: P2PSession, name: str) -> str | None:
    return next((p["clientId"] for p in session.state.players if p["friendlyName"] == name), None)


def lines_at(session: P2PSession) -> list[tuple[str | None, str, str]]:
    return [(line["from"], line["name"], line["text"]) for line in session.state.chat]


async def test_the_greeter_bot_greets_each_newcomer_once_and_not_who_was_there_before_it(dev: DevServer, peers: Peers):
    ada = await peers.join("greet", "Ada")
    announced: list[str] = []
    ada.on("message", lambda message: announced.append(message["from"]) if message["kind"] == "connected" else None)
    bot = asyncio.ensure_future(greeter_bot(parse_link(f"{dev.url}/s/greet", session_required=True)))
    try:
        # The bot asks the host (Ada) for its snapshot once it has read the roster it found: from then on, newcomers.
        await eventually(lambda: client_id_of(ada, "Greeter") in announced, "the bot's announcement to Ada")
        bob = await peers.join("greet", "Bob")
        cyd = await peers.join("greet", "Cyd")
        greeter = client_id_of(ada, "Greeter")
        greetings = [(greeter, "Greeter", "Welcome, Bob!"), (greeter, "Greeter", "Welcome, Cyd!")]
        for session in (ada, bob):
            await eventually(
                lambda s=session: len(lines_at(s)) == 2, f"both greetings at {session.identity.friendly_name}'s"
            )
            assert lines_at(session) == greetings
        await eventually(lambda: (greeter, "Greeter", "Welcome, Cyd!") in lines_at(cyd), "Cyd's greeting at Cyd's")
    finally:
        bot.cancel()  # what Ctrl-C does (p2p/command.py)
        await asyncio.wait_for(asyncio.gather(bot, return_exceptions=True), 10)
    await eventually(lambda: client_id_of(ada, "Greeter") is None, "the bot's presence leave at Ada's")


async def test_the_greeter_bot_says_it_joined_and_whom_it_greeted_and_leaves_on_ctrl_c(peers: Peers):
    ada = await peers.join("greet-cli", "Ada")
    bot = await Cli.start(f"{peers.url}/s/greet-cli", module=BOT)
    await bot.wait_for(r"^Joined greet-cli as Greeter: greeting newcomers \(Ctrl-C leaves\)$")
    await peers.join("greet-cli", "Bob")
    await bot.wait_for("^Greeted Bob$")
    await eventually(lambda: ("Greeter", "Welcome, Bob!") in [(n, t) for _f, n, t in lines_at(ada)], "the greeting")
    bot.process.send_signal(signal.SIGINT)
    status, out, err = await bot.finish()
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Joined greet-cli as Greeter: greeting newcomers (Ctrl-C leaves)",
        "Greeted Bob",
    ]
    await eventually(lambda: client_id_of(ada, "Greeter") is None, "the bot's presence leave at Ada's")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "the following arguments are required: link"),
        (("http://127.0.0.1:4280",), "argument link: not a session link: 'http://127.0.0.1:4280'"),
        (("127.0.0.1:4280/s/abc",), "argument link: not a link to the site: '127.0.0.1:4280/s/abc'"),
        (("http://127.0.0.1:4280/s/a b",), "argument link: not a valid session id: 'a b'"),
        (("http://127.0.0.1:4280/s/abc", "extra"), "unrecognized arguments: extra"),
    ],
)
async def test_the_greeter_bot_without_a_session_link_prints_its_usage_and_exits_2(args, error):
    status, out, err = await (await Cli.start(*args, module=BOT)).finish()
    assert (status, out) == (2, "")
    usage, line = err.splitlines()
    assert usage == "usage: python -m examples.greeter_bot [-h] link"
    assert line.startswith(f"python -m examples.greeter_bot: error: {error}"), err


async def test_the_greeter_bot_on_a_site_that_is_down_says_so_in_one_line_and_exits_2():
    status, out, err = await (await Cli.start("http://127.0.0.1:9/s/abc", module=BOT)).finish()
    assert (status, out) == (2, "")
    assert err.startswith("greeter_bot: cannot reach http://127.0.0.1:9/api/clientConfig (ConnectError: "), err
    assert err.count("\n") == 1, err


def test_the_python_peer_page_shows_the_bot_exactly_as_the_tested_example_has_it():
    page = Path(__file__).resolve().parents[2].joinpath("docs/python-peer.md").read_text()
    assert inspect.getsource(greeter_bot) in page
