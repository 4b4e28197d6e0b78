"""Host election and migration: the earliest joiner hosts; when the host leaves or crashes exactly one peer takes
over, with the state, on every page; two peers pressing Host at once end with one host.
Runs on a dev host whose emulator times out presence after 2 s (Ably: 15 s), so a crash is noticed quickly."""

import pytest
from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    close_tab,
    expect_host,
    expect_in_step_with_the_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    lose_network,
    stream_words,
)
from tests.browser.conftest import running_dev_host

PRESENCE_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def dev_host():
    with running_dev_host("--emulator-presence-leave-timeout", str(PRESENCE_TIMEOUT)) as dev_host:
        yield dev_host


def three_players(open_peer):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    join(carol, session)
    for peer in (alice, bob, carol):
        expect_host(peer, "alice")
    return alice, bob, carol


def test_the_earliest_joiner_hosts_and_when_it_closes_its_tab_the_next_joiner_hosts_on_every_page_and_can_stream(
    open_peer,
):
    alice, bob, carol = three_players(open_peer)
    expect(alice.page.get_by_test_id("hosting")).to_have_text("You are hosting.")
    expect(bob.page.get_by_test_id("hosting")).to_have_text("alice is hosting.")

    close_tab(alice)

    for peer in (bob, carol):
        expect_roster(peer, ["bob", "carol"], timeout=2_000)
        expect_host(peer, "bob")
    expect(bob.page.get_by_test_id("hosting")).to_have_text("You are hosting now.")
    expect(carol.page.get_by_test_id("hosting")).to_have_text("bob is hosting now.")
    stream_words(bob)
    for peer in (bob, carol):
        expect_stream_under_way(peer)


def test_when_the_host_crashes_the_next_joiner_takes_over_after_the_presence_timeout(open_peer, dev_host):
    alice, bob, carol = three_players(open_peer)

    lose_network(alice, dev_host)

    for peer in (bob, carol):
        expect_host(peer, "bob", timeout=(PRESENCE_TIMEOUT + 5) * 1_000)
        expect_roster(peer, ["bob", "carol"])


def test_a_stream_the_host_leaves_unfinished_is_finished_by_the_new_host_without_gap_or_duplicate(open_peer):
    alice, bob, carol = three_players(open_peer)
    stream_words(alice)
    expect_stream_under_way(carol)

    close_tab(alice)

    for peer in (bob, carol):
        expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        expect_host(peer, "bob")


def test_two_peers_pressing_host_on_the_same_session_at_once_end_with_one_host(open_peer):
    alice, bob = open_peer("alice"), open_peer("bob")
    for peer in (alice, bob):
        peer.page.get_by_label("Session name").fill("race-for-host")
        peer.page.get_by_label("Your name").fill(peer.name)

    for peer in (alice, bob):
        peer.page.get_by_role("button", name="Host a session").click()

    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect(peer.page.get_by_test_id("host-badge")).to_have_count(1)
    winner = (
        alice.page.get_by_test_id("roster-item")
        .filter(has=alice.page.get_by_test_id("host-badge"))
        .get_by_test_id("roster-name")
        .inner_text()
    )
    for peer in (alice, bob):
        expect_host(peer, winner)
        expect_in_step_with_the_host(peer)
