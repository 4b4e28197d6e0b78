"""`python -m p2p` as a subprocess against a dev host: what it prints, how it leaves, and its one-line errors."""

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from devserver import DevServer
from p2p.cli import parse_args
from p2p.rules import PHRASE, WORD_INTERVAL_S

from .conftest import WAIT, Peers, dev_host, eventually
from .hostile_site import HostileSite, answer

ROOT = Path(__file__).resolve().parents[2]
# A hosting peer streams this fast (the CLI's own setting) where the pace is not what a test is about.
FAST_WORDS = ("--word-interval", "0.05")


class Cli:
    """A running `python -m p2p` (or a bot), its stdout read line by line so a test can wait for one with a bound."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, *args: str, env: dict[str, str] | None = None, module: str = "p2p") -> "Cli":
        """`python -m <module> ARGS` from the repository root."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", **(env or {})},
        )
        return cls(process)

    async def wait_for(self, pattern: str) -> re.Match:
        regex = re.compile(pattern)

        async def read() -> re.Match:
            for line in self.lines:
                if match := regex.search(line):
                    return match
            assert self.process.stdout
            while line := (await self.process.stdout.readline()).decode(errors="backslashreplace"):
                self.lines.append(line)
                if match := regex.search(line):
                    return match
            raise AssertionError(f"exited without printing {pattern!r}: {self.lines}")

        try:
            return await asyncio.wait_for(read(), WAIT)
        except TimeoutError:
            raise AssertionError(f"no line matching {pattern!r} within {WAIT}s: {self.lines}") from None

    async def finish(self) -> tuple[int, str, str]:
        """Wait (bounded) for it to exit; its exit status, the rest of stdout, and stderr."""
        try:
            out, err = await asyncio.wait_for(self.process.communicate(), WAIT)
        except TimeoutError:
            self.process.kill()
            raise AssertionError(f"still running after {WAIT}s: {self.lines}") from None
        assert self.process.returncode is not None
        return self.process.returncode, "".join(self.lines) + out.decode(), err.decode()


async def run_to_end(*args: str) -> tuple[int, str, str]:
    return await (await Cli.start(*args)).finish()


async def test_join_prints_the_roster_and_the_words_and_ctrl_c_leaves_presence(peers: Peers):
    ada = await peers.join("cli1", "Ada")
    bot = await Cli.start("join", f"{peers.url}/s/cli1", "--name", "Bot")
    await bot.wait_for(r"^Players: Ada \(host\), Bot \(you\)$")
    await bot.wait_for(r"^Joined cli1 as Bot$")
    await ada.stream_words()
    await bot.wait_for(f"^Words: {PHRASE}$")
    await eventually(lambda: [p["friendlyName"] for p in ada.state.players] == ["Ada", "Bot"], "Bot in Ada's roster")
    bot.process.send_signal(signal.SIGINT)
    status, out, err = await bot.finish()
    assert (status, err) == (0, "")
    assert out.endswith("Left the session\n")
    await eventually(lambda: [p["friendlyName"] for p in ada.state.players] == ["Ada"], "Bot's presence leave")


async def test_host_stream_waits_for_a_first_joiner_then_streams_the_phrase_to_it(peers: Peers):
    bot = await Cli.start("host", peers.url, "--name", "HostBot", "--stream", *FAST_WORDS)
    link = (await bot.wait_for(r"^Share: (\S+)$")).group(1)
    session_id = link.rsplit("/s/", 1)[1]
    assert link == f"{peers.url}/s/{session_id}"  # a site without shareOrigin: the link's own origin
    await bot.wait_for("^Waiting for 1 player to join before streaming$")
    bob = await peers.join(session_id, "Bob")
    await eventually(lambda: bob.state.received_words == PHRASE, "the phrase at Bob's")
    assert bob.state.host_client_id != bob.state.my_client_id
    await bot.wait_for("^Streamed the phrase$")
    assert bot.lines.index("Players: HostBot (host, you), Bob\n") < bot.lines.index("Streaming the phrase\n")
    bot.process.send_signal(signal.SIGTERM)
    assert (await bot.finish())[0] == 0


async def test_host_stream_with_wait_for_2_streams_once_the_second_player_has_joined(peers: Peers):
    bot = await Cli.start("host", peers.url, "--name", "HostBot", "--stream", "--wait-for", "2", *FAST_WORDS)
    session_id = (await bot.wait_for(r"^Share: \S+/s/(\S+)$")).group(1)
    await bot.wait_for("^Waiting for 2 players to join before streaming$")
    await peers.join(session_id, "Bob")
    await bot.wait_for(r"^Players: HostBot \(host, you\), Bob$")
    cyd = await peers.join(session_id, "Cyd")
    await bot.wait_for("^Streamed the phrase$")
    await eventually(lambda: cyd.state.received_words == PHRASE, "the phrase at Cyd's")
    # Lines are printed in order: had it streamed for Bob alone, its Streaming line would come before Cyd's arrival.
    assert bot.lines.index("Players: HostBot (host, you), Bob, Cyd\n") < bot.lines.index("Streaming the phrase\n")
    bot.process.send_signal(signal.SIGINT)
    assert (await bot.finish())[0] == 0


async def test_host_stream_with_wait_for_0_streams_at_once():
    async with dev_host() as dev:
        bot = await Cli.start("host", str(dev.url), "--stream", "--wait-for", "0", *FAST_WORDS)
        await bot.wait_for("^Streamed the phrase$")
        bot.process.send_signal(signal.SIGINT)
        status, out, _err = await bot.finish()
    assert status == 0
    assert "Waiting" not in out


async def test_host_shares_the_network_address_the_page_would_when_the_site_names_one():
    async with DevServer(port=0, force_emulator=True, public_url="https://friends.example") as dev:
        assert dev.url
        assert dev.url.startswith("http://127.0.0.1:")
        bot = await Cli.start("host", dev.url, "--name", "HostBot")
        link = (await bot.wait_for(r"^Share: (\S+)$")).group(1)
        session_id = link.rsplit("/s/", 1)[1]
        assert link == f"https://friends.example/s/{session_id}"
        bot.process.send_signal(signal.SIGINT)
        assert (await bot.finish())[0] == 0


def test_the_word_interval_defaults_to_the_sites_and_takes_positive_seconds_for_join_and_host():
    assert parse_args(["host", "http://127.0.0.1:4280"]).word_interval == WORD_INTERVAL_S == 0.5
    assert parse_args(["host", "http://127.0.0.1:4280", "--stream", "--word-interval", "1.5"]).word_interval == 1.5
    assert parse_args(["join", "http://127.0.0.1:4280/s/abc", "--word-interval", "2"]).word_interval == 2.0


@pytest.mark.parametrize("interval", ["0", "-1", "soon", "nan", "inf"])
def test_a_word_interval_that_is_not_a_positive_number_of_seconds_is_a_usage_error(interval, capsys):
    with pytest.raises(SystemExit) as exit:
        parse_args(["host", "http://127.0.0.1:4280", "--word-interval", interval])
    assert exit.value.code == 2
    assert f"--word-interval: invalid seconds value: '{interval}'" in capsys.readouterr().err


async def test_what_other_peers_send_is_printed_escaped_each_on_its_line(peers: Peers):
    ada = await peers.join("cli-hostile", "Ada")
    await peers.join("cli-hostile", "Mal\u200blory\u200e")  # format characters a name may keep
    bot = await Cli.start("join", f"{peers.url}/s/cli-hostile", "--name", "Bot")
    await bot.wait_for(r"^Joined cli-hostile as Bot$")
    ascii_bot = await Cli.start(
        "join", f"{peers.url}/s/cli-hostile", "--name", "Zoë", env={"PYTHONIOENCODING": "ascii"}
    )
    await ascii_bot.wait_for(r"^Joined cli-hostile as ")
    words = ["\x1b[2J\x1b[H", "\nPlayers: Mallory (host)\n", "\u202eevil", "\x9b31m", "Grüße"]
    for index, word in enumerate(words):
        await ada.send({"kind": "word", "index": index, "word": word})  # the elected host may send any word
    await bot.wait_for(r"^Words: .*Grüße$")
    await ascii_bot.wait_for(r"^Words: .*Gr\\xfc\\xdfe$")
    for cli in (bot, ascii_bot):
        cli.process.send_signal(signal.SIGINT)
        assert (await cli.finish())[0] == 0
    assert "Players: Ada (host), Mal\\u200blory\\u200e, Bot (you)\n" in bot.lines
    assert "Words: \\x1b[2J\\x1b[H \\nPlayers: Mallory (host)\\n \\u202eevil \\x9b31m Grüße\n" in bot.lines
    assert "Joined cli-hostile as Zo\\xeb\n" in ascii_bot.lines
    for line in bot.lines + ascii_bot.lines:
        assert re.match(r"(Players|Joined|Words|Host|Left)\b", line), line
        assert line[:-1].isprintable(), line


async def test_join_prints_chat_lines_and_kinds_it_does_not_know_each_on_one_marked_bounded_escaped_line(
    peers: Peers,
):
    ada = await peers.join("cli-chat", "Ada")
    bot = await Cli.start("join", f"{peers.url}/s/cli-chat", "--name", "Bot")
    await bot.wait_for(r"^Joined cli-chat as Bot$")
    await eventually(lambda: len(ada.state.players) == 2, "Bot in Ada's roster")
    await ada.say("Hello \x1b[2J\u202eBot")
    await ada.send({"kind": "greeting", "text": "Welcome,\nPlayers: Mallory (host)", "name": "Host"})
    await ada.send({"kind": "x" * 500 + "\x1b[2J", "padding": "\u202e" * 10_000})
    await ada.send({"kind": "word", "index": 0, "word": "The"})  # a kind it knows: its own line (Words)
    await ada.send({"kind": "after"})
    await bot.wait_for(r'^Message "after" from Ada: \{\}$')
    bot.process.send_signal(signal.SIGINT)
    assert (await bot.finish())[0] == 0
    shown = [line for line in bot.lines if line.startswith(("Chat", "Message"))]
    assert shown[:2] == [
        "Chat: Ada: Hello [2JBot\n",
        'Message "greeting" from Ada: {"text": "Welcome,\\nPlayers: Mallory (host)", "name": "Host"}\n',
    ]
    long_kind = shown[2]
    assert long_kind.startswith('Message "' + "x" * 38 + '… from Ada: {"padding": "\\u202e\\u202e'), long_kind
    assert len(long_kind) < 200, long_kind
    assert len(shown) == 4
    for line in bot.lines:
        assert line[:-1].isprintable(), line


@pytest.mark.parametrize(
    ("link", "sentence"),
    [
        ("http://127.0.0.1:4280/x", "not a session link: 'http://127.0.0.1:4280/x'"),
        ("not a url", "not a link to the site: 'not a url' (expected e.g. http://127.0.0.1:4280/s/<session>)"),
        ("http://127.0.0.1:4280/s/bad%20id", "not a valid session id: 'bad id'"),
        ("http://[::1/s/abc", "not a link to the site: 'http://[::1/s/abc' (an IPv6 address goes in brackets"),
        ("http://256.256.256.256/s/abc", "(not a valid IPv4 address: '256.256.256.256')"),
        ("http://127.0.0.1:0/s/abc", "(port '0': expected a number from 1 to 65535)"),
        ("http://me@127.0.0.1/s/abc", "(a user name or password in a link is not supported)"),
        ("http://127.0.0.1:4280/s/\x1b[2J", "not a valid session id: '\\x1b[2J'"),
    ],
)
async def test_a_link_that_is_not_a_session_link_is_a_usage_error_with_status_2(link, sentence):
    status, out, err = await run_to_end("join", link)
    assert (status, out) == (2, "")
    usage, error = err.splitlines()
    assert usage.startswith("usage: python -m p2p join "), err
    assert error.startswith("python -m p2p join: error: argument link: "), err
    assert sentence in error, err


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        ([], "usage: python -m p2p ", "the following arguments are required: command"),
        (["join"], "usage: python -m p2p join ", "the following arguments are required: link"),
        (["leave"], "usage: python -m p2p ", "invalid choice: 'leave'"),
        (["host"], "usage: python -m p2p host ", "the following arguments are required: site"),
        (["host", "ftp://127.0.0.1"], "usage: python -m p2p host ", "argument site: not a link to the site"),
        (["host", "http://127.0.0.1:4280", "--wait-for", "2"], "usage: python -m p2p host ", "--wait-for goes with"),
        (["host", "http://127.0.0.1:4280", "--stream", "--wait-for", "-1"], "usage: ", "invalid count value: '-1'"),
        (["host", "http://127.0.0.1:4280", "--stream", "--wait-for", "x"], "usage: ", "invalid count value: 'x'"),
        (["join", "http://127.0.0.1:4280/s/abc", "--nme", "Bot"], "usage: python -m p2p ", "unrecognized arguments"),
        (["host", "http://127.0.0.1:4280", "--bingo", "--pace-ms", "100"], "usage: ", "invalid pace value: '100'"),
        (["host", "http://127.0.0.1:4280", "--bingo", "--stream"], "usage: ", "--stream and --bingo: one at a time"),
    ],
)
async def test_every_bad_command_line_is_a_usage_line_and_status_2_never_a_traceback(args, usage, error):
    status, out, err = await run_to_end(*args)
    assert (status, out) == (2, "")
    assert err.startswith(usage), err
    assert error in err, err
    assert "Traceback" not in err


async def test_a_site_that_is_down_is_one_line_and_status_2():
    status, out, err = await run_to_end("join", "http://127.0.0.1:9/s/abc")
    assert (status, out) == (2, "")
    assert err.startswith("p2p: cannot reach http://127.0.0.1:9/api/clientConfig (ConnectError: "), err
    assert err.count("\n") == 1, err


async def test_a_site_answering_deeply_nested_json_is_one_line_and_status_2():
    with HostileSite() as site:
        site.answers["clientConfig"] = answer(b"[" * 50_000)
        assert await run_to_end("host", site.url) == (
            2,
            "",
            f"p2p: {site.url}/api/clientConfig answered JSON nested too deeply\n",
        )


async def test_a_full_session_is_one_line_and_status_1():
    async with dev_host(presence_members_max=1) as dev:
        assert dev.url
        group = Peers(dev.url)
        try:
            await group.join("full", "Ada")
            status, _out, err = await run_to_end("join", f"{dev.url}/s/full")
            assert status == 1
            assert err == "p2p: this session is full (Ably 91003): ask its host, or host a new session\n"
        finally:
            await group.close()
