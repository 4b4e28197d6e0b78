"""Leave detection: a closed tab leaves every roster within a second, a dead network after the presence timeout,
and a reload leaves no ghost. Runs on a dev host whose emulator times out presence after 2 s (Ably: 15 s)."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.actions import close_tab, expect_roster, host, join, lose_network
from tests.browser.conftest import running_dev_host

PRESENCE_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def dev_host():
    with running_dev_host("--emulator-presence-leave-timeout", str(PRESENCE_TIMEOUT)) as dev_host:
        yield dev_host


def test_a_closed_tab_is_gone_from_every_roster_within_a_second_and_a_dead_network_after_the_presence_timeout(
    open_peer, dev_host
):
    alice, bob, carol, dave = (open_peer(name) for name in ("alice", "bob", "carol", "dave"))
    session = host(alice)
    for peer in (bob, carol, dave):
        join(peer, session)
    for peer in (alice, bob, dave):
        expect_roster(peer, ["alice", "bob", "carol", "dave"])

    close_tab(carol)

    for peer in (alice, bob, dave):
        expect_roster(peer, ["alice", "bob", "dave"], timeout=1_000)

    lose_network(dave, dev_host)
    lost_at = time.monotonic()

    expect_roster(alice, ["alice", "bob"], timeout=(PRESENCE_TIMEOUT + 3) * 1_000)
    expect_roster(bob, ["alice", "bob"], timeout=1_000)
    assert time.monotonic() - lost_at >= PRESENCE_TIMEOUT - 0.5, "left before the presence timeout"


def test_a_reload_leaves_no_ghost_entry(open_peer):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    expect_roster(alice, ["alice", "bob"])

    bob.page.reload()
    expect_roster(alice, ["alice"], timeout=1_000)
    join(bob)

    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect(peer.page.get_by_test_id("roster-item")).to_have_count(2)
