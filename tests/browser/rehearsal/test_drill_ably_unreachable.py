"""Drill: Ably cannot be reached from the player's network (its names do not resolve, connections to it are
refused, or a TLS middlebox answers for it with a certificate nobody trusts). The page says so in one clear state
within 15 s, says what to do, and keeps trying by itself; Retry now tries at once and keeps the same words.

Each case gets a Chromium of its own whose resolver sends every one of Ably's names to that failure; the site
itself is reachable, so the token endpoint answers and only Ably's side fails.
"""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.rehearsal.drills import (
    CANNOT_REACH_ABLY,
    RECORD_SITUATIONS,
    expect_never_connected_nor_lost,
    expect_one_clear_state,
    press_host,
    situations,
)
from tests.stand_ins.front_door import Fault
from tests.stand_ins.host_rules import HostRules
from tests.stand_ins.hostnames import ABLY_HOSTS
from tests.stand_ins.stage import ProductionStage

# ably-js's own timings for a connection it never made (Ably's connection details would set them, but there are none),
# a tenth of its defaults: it suspends after 12 s instead of 2 minutes, and tries again every 1.5 s, then every 3 s.
SHORT_TIMINGS = {"connectionStateTtl": 12_000, "disconnectedRetryTimeout": 1_500, "suspendedRetryTimeout": 3_000}

# How each failure looks to Chromium, which logs every request it makes there (ably-js's token request, and its
# connectivity check): the page expects exactly these console errors.
FAILURES = {
    "dns-failure": r"net::ERR_NAME_NOT_RESOLVED",
    "connection-refused": r"net::ERR_CONNECTION_REFUSED",
    "untrusted-tls": r"net::ERR_CERT_AUTHORITY_INVALID",
}


@pytest.fixture(scope="module", params=list(FAILURES))
def failure(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def host_rules(failure: str, stage: ProductionStage) -> HostRules:
    """Every one of Ably's names fails this way, for this Chromium."""
    target = {"dns-failure": None, "connection-refused": stage.refused, "untrusted-tls": stage.untrusted_tls}
    return stage.host_rules(dict.fromkeys(ABLY_HOSTS, target[failure]))


def test_a_player_who_cannot_reach_ably_is_told_so_and_what_to_do_and_the_page_keeps_trying(open_peer, failure):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    alice.expect_console_error(FAILURES[failure])

    press_host(alice)

    expect_one_clear_state(alice, "unreachable", CANNOT_REACH_ABLY, timeout=15_000)
    sentence = alice.page.get_by_test_id("connection-sentence")
    expect(sentence).to_contain_text("Check that you are online; if other sites work, this network may block Ably")
    expect(sentence).to_contain_text("Trying again by itself.")
    shown = len(situations(alice))

    alice.page.get_by_role("button", name="Retry now").click()

    # Ably tries at once (connecting), fails again, and the page still says the same thing.
    alice.page.wait_for_function(
        "(shown) => window.situations.slice(shown).includes('disconnected/unreachable')", arg=shown, timeout=15_000
    )
    expect_one_clear_state(alice, "unreachable", CANNOT_REACH_ABLY)
    assert set(situations(alice)[shown:]) <= {"connecting/unreachable", "disconnected/unreachable"}, situations(alice)
    expect_never_connected_nor_lost(alice)


@pytest.mark.parametrize("failure", ["dns-failure"], indirect=True)
def test_a_player_who_cannot_reach_ably_for_longer_than_ably_keeps_trying_sees_the_same_one_state(
    open_peer, stage, failure
):
    """Issue 17: after Ably's 2 minutes the page said "Could not join the session", "You left the session" and
    "Waiting for the other players" at once. The page's connection settings give ably-js a tenth of its timings."""
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    alice.expect_console_error(FAILURES[failure])
    stage.front_door.fail("/api/clientConfig", Fault(status=200, body=json.dumps(SHORT_TIMINGS)))

    press_host(alice)

    expect_one_clear_state(alice, "unreachable", CANNOT_REACH_ABLY)
    # Ably suspends the connection after its TTL, and goes on trying from there: the page says the same throughout.
    alice.page.wait_for_function(
        "() => window.situations.filter((seen) => seen === 'suspended/unreachable').length >= 2", timeout=30_000
    )
    expect_one_clear_state(alice, "unreachable", CANNOT_REACH_ABLY)
    assert {seen.split("/")[1] for seen in situations(alice)} == {"connecting", "unreachable"}, situations(alice)
    expect_never_connected_nor_lost(alice)
