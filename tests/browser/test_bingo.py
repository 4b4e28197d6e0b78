"""Bingo in Chromium, on the session page: three players and the Python bot play a round to a winner every page
verifies, the round finishing under the next host after the first closes its tab, and a player who arrives after
the win plays the next round; a player who joins mid-round is dealt in and may mark their card themselves; forged
calls, winners and claims from a hostile peer change nothing; a phone-sized screen; axe.

A round is played out at the fastest pace the host can set (a number every 250 ms), so it is won in seconds; it starts
at the usual pace (a number every 2 s), so that nobody wins before the checks made on the way."""

import asyncio
import json
import re
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.actions import client_id, close_tab, host, join
from tests.browser.conftest import ROOT, Peer
from tests.browser.test_accessibility import PHONE, expect_no_axe_violations
from tests.hostile_peer import HostilePeer, settle
from tests.processes import start_server

T = TypeVar("T")

# The pace the host starts at (2 s) halved three times: the fastest the protocol allows.
FASTEST = "A new number every 0.25 seconds."
WINNER = re.compile(r"^(You have bingo!|.+ has bingo!)$")
ROUND_TIMEOUT_MS = 40_000  # all 75 numbers at 250 ms take 19 s; a line comes long before


def play_bingo(host_peer: Peer) -> None:
    """The host presses Play bingo: a number every 2 s."""
    host_peer.page.get_by_role("button", name="Play bingo").click()
    expect(host_peer.page.get_by_test_id("bingo-pace")).to_have_text("A new number every 2 seconds.")


def fastest_pace(host_peer: Peer) -> None:
    """The host presses Faster until the fastest pace."""
    for _ in range(3):
        host_peer.page.get_by_role("button", name="Faster").click()
    expect(host_peer.page.get_by_test_id("bingo-pace")).to_have_text(FASTEST)


def expect_a_card(peer: Peer) -> None:
    """The page shows this player's own card: 25 cells, the free one in the centre, marked."""
    page = peer.page
    cells = page.get_by_test_id("bingo-cell")
    expect(cells).to_have_count(25)
    expect(cells.nth(12)).to_have_text("Free")
    expect(cells.nth(12)).to_have_attribute("data-marked", "true")


def calls_made(peer: Peer) -> int:
    """How many numbers the page says were called."""
    count = re.search(r"(\d+) of 75", peer.page.get_by_test_id("bingo-call-count").inner_text())
    assert count, "the page says how many numbers were called"
    return int(count.group(1))


def press_bingo_when_a_line_comes(peers: list[Peer]) -> None:
    """Watch every page for a line (auto-mark is on) and press Bingo! on the first that has one; return when
    someone pressed it or a winner (the bot, say) is shown. Bounded by the time a whole round takes."""
    deadline = time.monotonic() + ROUND_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for peer in peers:
            page = peer.page
            if page.get_by_test_id("bingo-winning-line").count():
                return
            try:
                page.get_by_test_id("bingo-line-ready").wait_for(timeout=100)
                page.get_by_role("button", name="Bingo!").click(timeout=2_000)
                return
            except PlaywrightError:
                continue  # no line on this card yet, or someone won meanwhile
    raise AssertionError("no card had a line within a whole round")


def expect_the_same_winner(peers: list[Peer]) -> str:
    """Every page announces a winner, with the same winning line; return that line as the pages say it."""
    for peer in peers:
        expect(peer.page.get_by_test_id("bingo-news")).to_have_text(WINNER, timeout=ROUND_TIMEOUT_MS)
    lines = {peer.page.get_by_test_id("bingo-winning-line").inner_text() for peer in peers}
    assert len(lines) == 1, lines
    line = lines.pop()
    assert re.match(r"^Winning line, (row \d|the [BINGO] column|a diagonal): ", line), line
    return line


def test_three_players_and_the_bot_play_to_a_verified_winner_finishing_under_the_next_host_when_the_first_leaves(
    open_peer, site_url
):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol", **PHONE)
    session = host(alice)
    # Bob joins before the bot starts, so that he, not the bot, is next in line when alice leaves.
    join(bob, session)
    bot = start_server(
        [sys.executable, "-m", "examples.bingo_bot", f"{site_url}/s/{session}", "--name", "bot"], cwd=str(ROOT)
    )
    try:
        join(carol, session)
        bot.wait_for(r"Joined ")
        expect(alice.page.get_by_test_id("player-count")).to_have_text("Players: 4")

        play_bingo(alice)  # slowly: nobody can win before the host leaves
        for peer in (alice, bob, carol):
            expect_a_card(peer)
        bot.wait_for(r"Card for round 1: ")
        assert carol.page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        carol.page.evaluate("window.scrollTo(0, 0)")
        bingo_button = carol.page.get_by_role("button", name="Bingo!").bounding_box()
        assert bingo_button is not None
        assert bingo_button["y"] + bingo_button["height"] <= 844, "Bingo! is on the phone's screen, no scrolling"
        expect_no_axe_violations(carol.page)
        expect(bob.page.get_by_test_id("bingo-call-count")).not_to_have_text("(0 of 75 called)")

        close_tab(alice)

        expect(bob.page.get_by_test_id("hosting")).to_have_text("You are hosting now.")
        fastest_pace(bob)
        before = calls_made(carol)
        expect(carol.page.get_by_test_id("bingo-call-count")).not_to_have_text(f"({before} of 75 called)")
        press_bingo_when_a_line_comes([bob, carol])
        expect_the_same_winner([bob, carol])
        bot.wait_for(r"Winner of round 1: ")
        expect_no_axe_violations(carol.page)

        erin = open_peer("erin")
        join(erin, session)
        expect(erin.page.get_by_test_id("bingo-standing")).to_have_text("You will play the next round.")

        bob.page.get_by_role("button", name="New round").click()
        for peer in (bob, carol, erin):
            expect(peer.page.get_by_test_id("bingo-news")).to_have_text(re.compile(r"^Round 2\b"))
            expect_a_card(peer)
        bot.wait_for(r"Card for round 2: ")
    finally:
        bot.stop()


class Hostile:
    """A hostile peer (tests/hostile_peer.py: a valid token, raw Ably protocol) on an asyncio loop of its own
    thread, since Playwright's sync API owns the test's thread. It enters no presence: it is nobody's player."""

    def __init__(self, site: str, session: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.channel = f"p2p:{session}"
        self.peer = self.run(HostilePeer.connect(site, session))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    def publish(self, messages: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Publish `(channel, kind, payload)` each, as a page would, and wait for Ably to accept them all."""

        async def send() -> None:
            sent = [
                await self.peer.publish(channel, {"name": kind, "data": json.dumps(payload), "encoding": "json"})
                for channel, kind, payload in messages
            ]
            outcome = await settle(sent)
            assert outcome.refused == [], outcome

        self.run(send())

    def close(self) -> None:
        self.run(self.peer.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def card_on(peer: Peer) -> list[int]:
    """The numbers of the card a page shows, row by row, 0 for the free cell (a marked cell also says so)."""
    cells = [text.split()[0] for text in peer.page.get_by_test_id("bingo-cell").all_inner_texts()]
    return [0 if text == "Free" else int(text) for text in cells]


def test_a_player_joining_mid_round_is_dealt_in_and_forged_calls_winners_and_claims_change_nothing(open_peer, site_url):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    play_bingo(alice)
    alice.page.get_by_role("button", name="Pause").click()
    expect(alice.page.get_by_test_id("bingo-news")).to_have_text("You paused the game.")
    expect(bob.page.get_by_test_id("bingo-news")).to_have_text("The host paused the game.")
    called = calls_made(alice)
    expect(bob.page.get_by_test_id("bingo-call-count")).to_have_text(f"({called} of 75 called)")

    dave = open_peer("dave")
    join(dave, session)
    expect_a_card(dave)
    assert card_on(dave) != card_on(bob)
    dave.page.get_by_label("Mark my card for me").uncheck()  # dave marks the numbers he hears himself
    first = dave.page.get_by_test_id("bingo-cell").first.get_by_role("button")
    expect(first).to_have_attribute("aria-pressed", "false")
    first.click()
    expect(first).to_have_attribute("aria-pressed", "true")

    hostile = Hostile(site_url, session)
    try:
        bobs_card, host_inbox = card_on(bob), f"p2p:{session}:inbox:{client_id(alice)}"
        forged_number = 75 if alice.page.get_by_test_id("bingo-last-call").inner_text() != "O 75" else 1
        channel = hostile.channel
        hostile.publish(
            [
                (channel, "bingo-call", {"round": 1, "index": called, "number": forged_number}),
                (channel, "bingo-round", {"round": 2, "paceMs": 250, "dealt": []}),
                (channel, "bingo-pace", {"round": 1, "paceMs": 250, "paused": False}),
                (
                    channel,
                    "bingo-winner",
                    {"round": 1, "player": client_id(bob), "card": bobs_card, "salt": "0" * 32, "line": [0, 6, 12]},
                ),
                (host_inbox, "bingo-claim", {"round": 1, "card": bobs_card, "salt": "0" * 32}),
                (host_inbox, "bingo-claim", {"round": 1, "card": [0] * 25, "salt": "x"}),
                *((channel, kind, {"round": "1", "index": [], "__proto__": {"phase": "won"}}) for kind in KINDS),
                *((host_inbox, kind, {"round": 1, "card": None, "line": "all"}) for kind in KINDS),
            ]
        )
        # Ably delivers a channel's messages in the order it accepted them: the host's next call comes after all.
        alice.page.get_by_role("button", name="Resume").click()
        expect(alice.page.get_by_test_id("bingo-call-count")).not_to_have_text(f"({called} of 75 called)")
        alice.page.get_by_role("button", name="Pause").click()
        expect(alice.page.get_by_test_id("bingo-news")).to_have_text("You paused the game.")
        count, last_call = calls_made(alice), alice.page.get_by_test_id("bingo-last-call").inner_text()
        for peer in (bob, dave):
            expect(peer.page.get_by_test_id("bingo-news")).to_have_text("The host paused the game.")
            expect(peer.page.get_by_test_id("bingo-call-count")).to_have_text(f"({count} of 75 called)")
            expect(peer.page.get_by_test_id("bingo-last-call")).to_have_text(last_call)
        for peer in (alice, bob, dave):
            expect(peer.page.get_by_test_id("bingo-winning-line")).to_have_count(0)
        assert card_on(bob) == bobs_card
        expect_no_axe_violations(dave.page)
    finally:
        hostile.close()


KINDS = [
    "bingo-round",
    "bingo-dealt",
    "bingo-card",
    "bingo-call",
    "bingo-pace",
    "bingo-claim",
    "bingo-winner",
    "bingo-refused",
]
