"""The production rehearsal (issue 17): the site as deployed, at its https Azure name, with the staged API and the
page's CSP as staticwebapp.config.json sets it, on Ably's production hostnames over TLS (tests/stand_ins), played by
browsers and a Python peer as people would.

One stage for the module, whose tokens live TOKEN_TTL_SECONDS, so every session here outlives its first tokens as a
long game outlives Ably's hour. A page fails its test on any console error or CSP violation (open_peer); every URL it
asked for is checked against the origins it may talk to.
"""

import re
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    client_id,
    close_tab,
    expect_connection,
    expect_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    stream_words,
)
from tests.browser.conftest import ROOT, Peer
from tests.processes import start_server
from tests.stand_ins.host_rules import HostRules
from tests.stand_ins.hostnames import ABLY_FALLBACKS, ABLY_HOSTS, ABLY_PRIMARY, SITE_HOST
from tests.stand_ins.stage import ProductionStage

TOKEN_TTL_SECONDS = 10
# Where a page may go: the site, and Ably's hosts (https for REST and its connectivity check, wss for realtime).
ALLOWED_ORIGINS = {f"https://{SITE_HOST}"} | {
    f"{scheme}://{name}" for name in ABLY_HOSTS for scheme in ("https", "wss")
}
PRIMARY_REFUSING = "Ably's primary host refusing connections"
# What Chromium logs when the primary refuses: the token exchange (a fetch) and the first WebSocket, before ably-js
# asks the connectivity check and moves to a fallback host.
PRIMARY_REFUSED_ERRORS = (
    r"^console: Failed to load resource: net::ERR_CONNECTION_REFUSED$",
    rf"^console: WebSocket connection to 'wss://{re.escape(ABLY_PRIMARY)}/\?.*' failed: "
    r"Error in connection establishment: net::ERR_CONNECTION_REFUSED$",
)
# Ably's connection states as the page shows them (its data-state), noted in order from the first page load on.
RECORD_CONNECTION_STATES = """
window.connectionStates = [];
new MutationObserver(() => {
  const badge = document.querySelector('[data-testid=connection-state]');
  const state = badge?.getAttribute('data-state');
  if (state && window.connectionStates.at(-1) !== state) window.connectionStates.push(state);
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
"""
CALM_STATES = {"initialized", "connecting", "connected"}


@pytest.fixture(scope="module")
def stage_options() -> dict[str, Any]:
    return {"settings": {"ABLY_TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS)}}


@pytest.fixture(scope="module")
def host_rules(request: pytest.FixtureRequest, stage: ProductionStage) -> HostRules:
    """As deployed; a test parametrized (indirect) with PRIMARY_REFUSING gets a Chromium of its own for which Ably's
    primary host refuses every connection, as when it is down or blocked."""
    if getattr(request, "param", None) == PRIMARY_REFUSING:
        return stage.host_rules({ABLY_PRIMARY: stage.refused})
    return stage.host_rules()


def expect_only_https_and_wss_to_the_site_and_ably(peers: Iterable[Peer]) -> None:
    urls = [url for peer in peers for url in peer.urls]
    sockets = [url for url in urls if url.startswith(("ws:", "wss:"))]
    assert sockets, "no WebSocket was opened"
    assert [url for url in sockets if not url.startswith("wss://")] == []
    elsewhere = sorted({url for url in urls if "{0.scheme}://{0.netloc}".format(urlsplit(url)) not in ALLOWED_ORIGINS})
    assert elsewhere == []


def expect_nothing_alarming(peer: Peer) -> None:
    """Connected, with no error in the alert region, no problem flagged on the connection, no detail under it, and
    Ably's state never worse than connecting since the page loaded."""
    page = peer.page
    expect_connection(peer, "connected")
    expect(page.get_by_test_id("error")).to_have_text("")
    expect(page.get_by_test_id("connection")).not_to_have_class(re.compile(r"\bconnection--problem\b"))
    expect(page.get_by_test_id("connection-detail")).to_have_count(0)
    assert set(page.evaluate("window.connectionStates")) <= CALM_STATES, page.evaluate("window.connectionStates")


def python_peer(stage: ProductionStage, *args: str):
    """`python -m p2p ...` as a person runs it, its only way out the stage's proxy (Ably's names and the site's)."""
    return start_server([sys.executable, "-m", "p2p", *args], cwd=str(ROOT), env=stage.python_env())


def token_requests(peer: Peer) -> int:
    return sum(urlsplit(url).path == "/api/createTokenRequest" for url in peer.urls)


def wait_for_token_requests(peer: Peer, count: int, timeout_s: float) -> None:
    """Wait until the page has asked the site for `count` tokens (ably-js renews through the same endpoint)."""

    def is_token_request(response) -> bool:
        return urlsplit(response.url).path == "/api/createTokenRequest"

    while token_requests(peer) < count:
        peer.page.wait_for_event("requestfinished", is_token_request, timeout=timeout_s * 1000)


def test_three_players_and_a_python_peer_play_over_https_and_wss_only_and_outlive_the_host_closing_its_tab(
    open_peer, stage
):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    join(carol, session)
    link = alice.page.get_by_test_id("share-link").inner_text()
    assert link == f"https://{SITE_HOST}/s/{session}"
    bot = python_peer(stage, "join", link, "--name", "Bot")
    try:
        bot.wait_for(r"^Joined ")
        for peer in (alice, bob, carol):
            expect_roster(peer, ["alice", "bob", "carol", "Bot"])
            expect_host(peer, "alice")
        stream_words(alice)
        for peer in (bob, carol):
            expect_stream_under_way(peer)
        bot.wait_for(r"^Words: The quick")

        close_tab(alice)  # mid-stream: bob, the next to have joined, hosts and finishes the phrase

        for peer in (bob, carol):
            expect_host(peer, "bob")
            expect_roster(peer, ["bob", "carol", "Bot"])
            expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        bot.wait_for(f"^Words: {re.escape(PHRASE)}$")
        bot.wait_for(r"^Host: bob$")
    finally:
        bot.stop()
    expect_only_https_and_wss_to_the_site_and_ably([alice, bob, carol])


def test_a_session_outlives_its_tokens_with_the_same_players_still_streaming_and_receiving(open_peer):
    alice = open_peer("alice", init_script=RECORD_CONNECTION_STATES)
    bob = open_peer("bob", init_script=RECORD_CONNECTION_STATES)
    session = host(alice)
    join(bob, session)
    players = {peer.name: client_id(peer) for peer in (alice, bob)}

    # Ably ends each token's connection at its expiry (DISCONNECTED 40142; the emulator as Ably); ably-js then asks
    # the site for a new token and resumes. Alice's renewal comes first, so the stream mostly runs across bob's.
    wait_for_token_requests(alice, 2, timeout_s=TOKEN_TTL_SECONDS + 20)
    stream_words(alice)
    wait_for_token_requests(bob, 2, timeout_s=TOKEN_TTL_SECONDS + 20)

    for peer in (alice, bob):
        expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        expect_roster(peer, ["alice", "bob"])
        assert client_id(peer) == players[peer.name]
        expect_host(peer, "alice")
        expect_nothing_alarming(peer)
    expect_only_https_and_wss_to_the_site_and_ably([alice, bob])


@pytest.mark.parametrize("host_rules", [PRIMARY_REFUSING], indirect=True)
def test_with_ablys_primary_host_down_players_connect_through_a_fallback_host_and_see_nothing_alarming(open_peer):
    alice = open_peer("alice", init_script=RECORD_CONNECTION_STATES)
    bob = open_peer("bob", init_script=RECORD_CONNECTION_STATES)
    for peer in (alice, bob):
        for logged in PRIMARY_REFUSED_ERRORS:
            peer.expect_console_error(logged)

    join(bob, host(alice))

    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect_nothing_alarming(peer)
        sockets = [url for url in peer.urls if url.startswith("wss://")]
        assert sockets[0].startswith(f"wss://{ABLY_PRIMARY}/"), sockets
        fallbacks = re.compile("^wss://(" + "|".join(re.escape(name) for name in ABLY_FALLBACKS) + ")/")
        assert any(fallbacks.match(url) for url in sockets[1:]), sockets
        logged = [problem for problem in peer.problems if problem.startswith("console: ")]
        assert {pattern for pattern in PRIMARY_REFUSED_ERRORS for line in logged if re.search(pattern, line)} == set(
            PRIMARY_REFUSED_ERRORS
        ), logged
    expect_only_https_and_wss_to_the_site_and_ably([alice, bob])
