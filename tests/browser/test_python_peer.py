"""The Python peer (`python -m p2p`) and browsers in one session through the dev host: the same protocol."""

import re
import signal
import sys

from playwright.sync_api import expect

from tests.browser.actions import PHRASE, close_tab, expect_host, expect_roster, host, join, stream_words
from tests.browser.conftest import ROOT
from tests.processes import start_server


def python_peer(*args: str):
    return start_server([sys.executable, "-m", "p2p", *args], cwd=str(ROOT))


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
