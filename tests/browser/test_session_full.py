"""A full session: presence refuses the enter (91003), the page says so and what to do, leaves without a trace, and
the players already there see nothing change. Runs on a dev host whose emulator holds 2 members per channel
(Ably: 200)."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.actions import expect_host, expect_in_step_with_the_host, expect_roster, host, join
from tests.browser.conftest import DevHost, running_dev_host

PRESENCE_LIMIT = 2


@pytest.fixture(scope="module")
def dev_host():
    with running_dev_host("--emulator-presence-limit", str(PRESENCE_LIMIT)) as dev_host:
        yield dev_host


def live_client_ids(dev_host: DevHost) -> list[str]:
    connections = dev_host.control("connections", method="GET")
    assert isinstance(connections, list)
    return sorted(c["clientId"] for c in connections if c["state"] not in ("closed", "failed"))


def test_a_player_joining_a_full_session_is_told_it_is_full_and_leaves_no_trace(open_peer, dev_host):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    present = live_client_ids(dev_host)
    assert len(present) == PRESENCE_LIMIT

    carol.expect_console_error("91003|maximum number of 2 members")
    carol.page.get_by_label("Session name").fill(session)
    carol.page.get_by_label("Your name").fill("carol")
    carol.page.get_by_role("button", name="Join a session").click()

    error = carol.page.get_by_test_id("error")
    expect(error).to_contain_text("This session is full")
    expect(error).to_contain_text("Try again when someone leaves, or host a new session.")
    expect(carol.page.get_by_role("button", name="Join a session")).to_be_visible()
    expect(carol.page.get_by_label("Session name")).to_have_value(session)
    deadline = time.monotonic() + 5
    while live_client_ids(dev_host) != present and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_client_ids(dev_host) == present, "the full page's connection is still open"
    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect_host(peer, "alice")
        expect(peer.page.get_by_test_id("error")).to_be_empty()
        expect_in_step_with_the_host(peer)
