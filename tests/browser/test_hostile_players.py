"""Hostile players with valid tokens publish a seeded fuzz of every field a client can set (tests/hostile_peer.py):
over 500 messages and presence entries, on the session channel and in the host's and the guests' inboxes. Three
browsers and a Python peer (`python -m p2p join`) look on; afterwards they finish a word stream, the host closes its
tab and the next earliest hosts, and a newcomer within the rewind window (which replays the fuzz) is admitted. Every
page shows all of it correctly and nothing forged, and logs no console error; the Python peer prints nothing but
its usual lines, and a kind it does not know as one bounded line naming the hostile sender as the roster does."""

import asyncio
import re
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    client_id,
    close_tab,
    expect_host,
    expect_in_step_with_the_host,
    host,
    join,
    stream_words,
)
from tests.browser.conftest import ROOT, Peer
from tests.hostile_peer import LAST_PRESENCE, Fuzz, HostilePeer, Outcome, settle
from tests.processes import start_server

T = TypeVar("T")

SEED = 18
HOSTILE_PLAYERS = 3
MESSAGES_EACH = 160
PRESENCE_UPDATES_EACH = 15
# What `python -m p2p join` prints; ably-python's own logging (decode errors, tracebacks) would add other lines. A
# message of a kind it does not know is one line, clipped (p2p/cli.py), under the name presence gives its sender:
# the hostile players enter without a name, so never a name a message claims.
BOT_LINES = re.compile(
    r"^(Joined |Players: |Words: |Host: |You are the host$|Left the session$"
    r"|Message .{1,40} from (Anonymous|\(not a player\)): .{1,120}$)"
)


class HostilePlayers:
    """Raw connections of several hostile players, on an asyncio loop of their own thread (Playwright's sync API
    owns the test's thread)."""

    def __init__(self, site: str, session: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.site, self.session, self.channel = site, session, f"p2p:{session}"
        self.peers: list[HostilePeer] = []

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)

    async def _connect(self) -> None:
        for _ in range(HOSTILE_PLAYERS):
            peer = await HostilePeer.connect(self.site, self.session)
            self.peers.append(peer)
            await peer.attach(self.channel)

    async def _enter_presence(self) -> Outcome:
        sends = []
        for seed, peer in enumerate(self.peers):
            fuzz = Fuzz(SEED * 100 + seed, peer.known, peer.client_id)
            sends.append(await peer.presence(self.channel, {"action": 2, "data": "AAAA", "encoding": "vcdiff"}))
            sends += [await peer.presence(self.channel, fuzz.presence()) for _ in range(PRESENCE_UPDATES_EACH)]
            sends.append(await peer.presence(self.channel, dict(LAST_PRESENCE)))
        return await settle(sends)

    async def _publish(self, inboxes: list[str]) -> Outcome:
        channels = [self.channel, *(f"{self.channel}:inbox:{client}" for client in inboxes)]
        sends = []
        for seed, peer in enumerate(self.peers):
            fuzz = Fuzz(SEED + seed, peer.known, peer.client_id)
            sends += [await peer.publish(channels[i % len(channels)], fuzz.message()) for i in range(MESSAGES_EACH)]
        return await settle(sends)

    def connect(self) -> None:
        self.run(self._connect())

    def enter_presence(self) -> Outcome:
        return self.run(self._enter_presence())

    def publish(self, inboxes: list[str]) -> Outcome:
        return self.run(self._publish(inboxes))

    def close(self) -> None:
        for peer in self.peers:
            self.run(peer.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def client_id_of(peer: Peer, name: str) -> str:
    """The clientId of the player called `name`, as `peer`'s roster shows it."""
    page = peer.page
    named = page.get_by_test_id("roster-name").filter(has_text=re.compile(f"^{re.escape(name)}$"))
    found = page.get_by_test_id("roster-item").filter(has=named).get_attribute("data-client-id")
    assert found, f"{peer.name}'s roster gives {name} no clientId"
    return found


def expect_players(peer: Peer, names: list[str]) -> None:
    """The page lists exactly these players, in join order."""
    expect(peer.page.get_by_test_id("player-count")).to_have_text(f"Players: {len(names)}")
    expect(peer.page.get_by_test_id("roster-name")).to_have_text(names)


def assert_undisturbed(outcome: Outcome, what: str) -> None:
    assert outcome.undocumented_refusals == [], f"{what} (seed {SEED}): Ably refused only what it documents"
    # Each player sends all of its fuzz at once, so Ably's rate refuses much of it (42911): of the rest, most passes.
    assert outcome.accepted > outcome.refused_for_content, f"{what} (seed {SEED}): mostly accepted, {outcome}"


def test_after_a_fuzz_of_hostile_messages_and_presence_every_peer_streams_migrates_and_admits_a_newcomer(
    open_peer, dev_host
):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    join(carol, session)
    hostile = HostilePlayers(dev_host.url, session)
    bot = None
    try:
        hostile.connect()
        presence = hostile.enter_presence()
        # The Python peer reads the hostile members in its first presence SYNC.
        bot = start_server(
            [sys.executable, "-m", "p2p", "join", f"{dev_host.url}/s/{session}", "--name", "Bot"], cwd=str(ROOT)
        )
        bot.wait_for(r"^Joined ")
        anonymous = ["Anonymous"] * HOSTILE_PLAYERS
        for peer in (alice, bob, carol):
            expect_players(peer, ["alice", "bob", "carol", *anonymous, "Bot"])

        inboxes = [client_id(alice), client_id(bob), client_id(carol), client_id_of(alice, "Bot")]
        messages = hostile.publish(inboxes)

        assert_undisturbed(presence, "presence entries")
        assert_undisturbed(messages, "messages")
        assert presence.accepted + len(presence.refused) + messages.accepted + len(messages.refused) >= 500
        stream_words(alice)  # after every hostile message was accepted: each peer has seen them all by the end
        for peer in (alice, bob, carol):
            expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        bot.wait_for(f"^Words: {PHRASE}$")

        close_tab(alice)
        for peer in (bob, carol):
            expect_host(peer, "bob")
        bot.wait_for(r"^Host: bob$")
        dave = open_peer("dave")
        join(dave, session)  # within the rewind window: the fuzz on the session channel is replayed to him
        expect(dave.page.get_by_test_id("received-words")).to_have_text(PHRASE)
        for peer in (bob, carol, dave):
            expect_players(peer, ["bob", "carol", *anonymous, "Bot", "dave"])
            expect_host(peer, "bob")
            expect_in_step_with_the_host(peer)
            expect(peer.page.locator("body")).not_to_contain_text("FORGED")
        bot.wait_for(r"^Players: bob \(host\), carol, Anonymous, Anonymous, Anonymous, Bot \(you\), dave$")
    finally:
        hostile.close()
        if bot is not None:
            bot.stop()
    bot.wait_for(r"^Left the session$", timeout=5)  # every line it printed is now in bot.seen
    unusual = [line for line in bot.seen if not BOT_LINES.match(line)]
    assert unusual == [], f"the Python peer printed more than its usual lines: {unusual[:5]}"
