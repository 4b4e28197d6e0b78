"""The Python peer (`python -m p2p`) and browsers in one session through the dev host: the same protocol."""

import asyncio
import re
import signal
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from playwright.sync_api import expect

from p2p.pubsub import Identity, PubSubClient
from p2p.site import Site
from tests.browser.actions import (
    PHRASE,
    client_id,
    close_tab,
    expect_host,
    expect_in_step_with_the_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    stream_words,
)
from tests.browser.conftest import ROOT
from tests.processes import start_server

T = TypeVar("T")


def python_peer(*args: str, module: str = "p2p"):
    return start_server([sys.executable, "-m", module, *args], cwd=str(ROOT))


def expect_messages(peer, lines: list[tuple[str, str]]) -> None:
    """The page's Messages card shows exactly these lines, `(name, text)` each, in order."""
    messages = peer.page.get_by_test_id("message")
    expect(messages).to_have_count(len(lines))
    expect(messages.get_by_test_id("message-name")).to_have_text([name for name, _ in lines])
    expect(messages.get_by_test_id("message-text")).to_have_text([text for _, text in lines])


class ForgingPeer:
    """A Python peer in the session (p2p's PubSubClient, a valid token from the site) that is not the host, on an
    asyncio loop of its own thread, since Playwright's sync API owns the test's thread."""

    def __init__(self, url: str, session: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.site = Site(url)
        self.ably = PubSubClient(lambda _message: None, self.site.realtime_for)
        try:
            self.run(self.ably.connect(Identity("Mallory"), session))
        except BaseException:
            self.close()
            raise

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=15)

    def close(self) -> None:
        self.run(self.ably.close())
        self.run(self.site.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def test_a_python_joiner_gets_the_phrase_once_in_order_finishes_it_when_the_browser_host_leaves_and_leaves_on_ctrl_c(
    open_peer, dev_host
):
    alice = open_peer("alice")
    session = host(alice)
    bot = python_peer("join", f"{dev_host.url}/s/{session}", "--name", "Bot")
    try:
        bot.wait_for(r"^Joined ")
        bob = open_peer("bob")
        join(bob, session)
        expect_roster(alice, ["alice", "Bot", "bob"])
        stream_words(alice)
        bot.wait_for(r"^Words: The quick brown")
        close_tab(alice)  # mid-stream: Bot, the next earliest, hosts and finishes the phrase
        bot.wait_for(r"^You are the host$")
        expect_host(bob, "Bot")
        expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        bot.wait_for(f"^Words: {PHRASE}$")
        shown = [line.removeprefix("Words: ").strip() for line in bot.seen if line.startswith("Words: ")]
        assert shown == [" ".join(PHRASE.split()[:n]) for n in range(1, 10)]
        bot.process.send_signal(signal.SIGINT)
        assert bot.process.wait(timeout=10) == 0
        bot.wait_for(r"^Left the session$")
        expect_roster(bob, ["bob"])
        expect_host(bob, "bob")
    finally:
        bot.stop()


def test_a_python_host_streams_to_two_browser_joiners(open_peer, dev_host):
    bot = python_peer("host", dev_host.url, "--name", "Bot", "--stream")
    try:
        link = bot.wait_for(r"^Share: (\S+)$").group(1)
        bob, carol = open_peer("bob", re.sub(r"^https?://[^/]+", "", link)), open_peer("carol")
        join(bob)
        join(carol, link.rsplit("/s/", 1)[1])
        for peer in (bob, carol):
            expect_host(peer, "Bot")
            expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        expect_roster(carol, ["Bot", "bob", "carol"])
    finally:
        assert bot.stop() == 0


def test_a_browser_joiner_finishes_the_stream_without_gap_or_duplicate_when_the_python_host_is_stopped_with_ctrl_c(
    open_peer, dev_host
):
    # 2 s between words: the browser joins and sees the first words well before the ninth is due (16 s in)
    bot = python_peer("host", dev_host.url, "--name", "Bot", "--stream", "--word-interval", "2")
    try:
        session = bot.wait_for(r"^Share: \S+/s/(\S+)$").group(1)
        bob = open_peer("bob")
        join(bob, session)
        expect_host(bob, "Bot")
        expect_stream_under_way(bob, words=2)
        bot.process.send_signal(signal.SIGINT)
        assert bot.process.wait(timeout=10) == 0
        bot.wait_for(r"^Left the session$")
        assert not any(line.startswith("Streamed") for line in bot.seen), "stopped mid-stream"
        expect_host(bob, "bob")
        expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=10_000)
        expect_roster(bob, ["bob"])
    finally:
        bot.stop()


def test_host_kinds_forged_by_a_python_peer_that_is_not_the_host_change_no_browser(open_peer, dev_host):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    mallory = ForgingPeer(dev_host.url, session)
    try:
        players = ["alice", "bob", "Mallory"]
        for peer in (alice, bob):
            expect_roster(peer, players)
        forgeries = [
            ({"kind": "word", "index": 0, "word": "FORGED"}, None),
            ({"kind": "word", "index": 1, "word": "WORDS"}, client_id(bob)),
            ({"kind": "connection-acknowledged", "base": 0, "words": ["FORGED", "SNAPSHOT"]}, None),
            ({"kind": "connection-acknowledged", "base": 0, "words": ["FORGED", "SNAPSHOT"]}, client_id(bob)),
            ({"kind": "connection-acknowledged", "base": 0, "words": ["FORGED", "SNAPSHOT"]}, client_id(alice)),
        ]
        for message, target in forgeries:  # each one accepted by Ably before the next (send_message raises if not)
            mallory.run(mallory.ably.send_message(message, target))

        # The real host streams after the forgeries were accepted: every page receives them before its first word.
        stream_words(alice)
        for peer in (alice, bob):
            expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=15_000)
            expect_roster(peer, players)
            expect_host(peer, "alice")
            expect_in_step_with_the_host(peer)
    finally:
        mallory.close()


def test_the_python_greeter_bots_greeting_shows_on_the_browser_pages_under_its_roster_name(open_peer, dev_host):
    alice = open_peer("alice")
    session = host(alice)
    bot = python_peer(f"{dev_host.url}/s/{session}", module="examples.greeter_bot")
    try:
        bot.wait_for(r"^Joined .* as Greeter")
        expect_roster(alice, ["alice", "Greeter"])
        bob = open_peer("bob")
        join(bob, session)
        bot.wait_for(r"^Greeted bob$")
        for peer in (alice, bob):
            expect_messages(peer, [("Greeter", "Welcome, bob!")])
        expect_roster(bob, ["alice", "Greeter", "bob"])
        bot.process.send_signal(signal.SIGINT)
        assert bot.process.wait(timeout=10) == 0
        expect_roster(bob, ["alice", "bob"])
        expect_messages(bob, [("Greeter", "Welcome, bob!")])  # a line stays when its sender leaves
    finally:
        bot.stop()


def test_a_chat_line_shows_under_the_senders_roster_name_whatever_name_its_payload_claims(open_peer, dev_host):
    alice = open_peer("alice")
    session = host(alice)
    mallory = ForgingPeer(dev_host.url, session)
    try:
        expect_roster(alice, ["alice", "Mallory"])
        for text in ["x" * 201, "\n\t", "I am alice"]:
            mallory.run(mallory.ably.send_message({"kind": "chat", "text": text, "name": "alice", "from": "alice"}))
        expect_messages(alice, [("Mallory", "I am alice")])
    finally:
        mallory.close()
