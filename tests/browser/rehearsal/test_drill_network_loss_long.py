"""Drill: a player's network is lost for 30 s, then for 3 minutes, in the middle of a session. What the page says
in each case, and that it comes back without a reload.

Here the stand-in Ably's timings are a tenth of Ably's, and so are the outages: it times a dropped connection's
presence out after 1.5 s (Ably: 15 s) and keeps it resumable for 12 s (Ably: 2 minutes; the emulator advertises it
to ably-js as connectionStateTtl, so the page suspends the connection when Ably would). A 30 s outage (3 s here) is
past the presence timeout but within the connection's TTL: the other players see the player leave and come back,
and the connection resumes. A 3 minute outage (18 s here) is past the TTL: the page says it is offline and offers
Retry now, and the player comes back on a new connection with the session's state sent again. `python -m bench
drills` runs both at Ably's real timings.
"""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    expect_host,
    expect_in_step_with_the_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    stream_words,
)
from tests.browser.conftest import Peer
from tests.browser.rehearsal.drills import (
    CONNECTION_LOST,
    OFFLINE_FOR_A_WHILE,
    RECORD_SITUATIONS,
    connection_id,
    expect_situation,
    lose_network_for,
    rosters,
    situations,
)
from tests.stand_ins.stage import ProductionStage

SCALE = 10  # Ably's timings are this many times the stand-in's
PRESENCE_TIMEOUT = 15 / SCALE
CONNECTION_STATE_TTL = 120 / SCALE


@pytest.fixture(scope="module")
def stage_options() -> dict[str, Any]:
    timings = ["--presence-leave-timeout", str(PRESENCE_TIMEOUT), "--connection-state-ttl", str(CONNECTION_STATE_TTL)]
    return {"emulator_args": timings}


def session_under_way(open_peer) -> tuple[Peer, Peer]:
    """Alice hosts, Bob joins, and Alice is streaming the words."""
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    bob = open_peer("bob", init_script=RECORD_SITUATIONS)
    join(bob, host(alice))
    stream_words(alice)
    expect_stream_under_way(bob)
    return alice, bob


def expect_back_in_the_session(alice: Peer, bob: Peer) -> None:
    """Bob has every word and his place again, and Alice saw him leave and come back."""
    expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    expect_in_step_with_the_host(bob)
    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect_host(peer, "alice")
        expect(peer.page.get_by_test_id("error")).to_have_text("")
    assert rosters(alice)[-3:] == ["alice,bob", "alice", "alice,bob"], rosters(alice)


def test_a_network_lost_for_30_s_shows_connection_lost_throughout_and_resumes_the_same_connection(
    open_peer, stage: ProductionStage
):
    alice, bob = session_under_way(open_peer)
    bobs_connection = connection_id(stage, bob)

    with lose_network_for(bob, stage, 30 / SCALE):
        expect_situation(bob, "reconnecting")
        expect(bob.page.get_by_test_id("connection-sentence")).to_contain_text(CONNECTION_LOST)
        # The presence timeout passed: Bob has left, for Alice (well within the connection's TTL, so it can resume).
        expect_roster(alice, ["alice"], timeout=CONNECTION_STATE_TTL * 1000 / 2)

    expect_situation(bob, "connected")
    expect_back_in_the_session(alice, bob)
    assert connection_id(stage, bob) == bobs_connection  # resumed within the connection's TTL
    lost = situations(bob)[situations(bob).index("connected/connected") + 1 :]
    assert set(lost) <= {"disconnected/reconnecting", "connecting/reconnecting", "connected/connected"}, lost


def test_a_network_lost_for_3_minutes_says_offline_with_retry_and_rejoins_on_a_new_connection(
    open_peer, stage: ProductionStage
):
    alice, bob = session_under_way(open_peer)
    bobs_connection = connection_id(stage, bob)

    with lose_network_for(bob, stage, 180 / SCALE):
        expect_situation(bob, "reconnecting")
        expect_situation(bob, "offline", timeout=(CONNECTION_STATE_TTL + 3) * 1000)  # suspended after the TTL
        expect(bob.page.get_by_test_id("connection-sentence")).to_contain_text(OFFLINE_FOR_A_WHILE)
        expect(bob.page.get_by_role("button", name="Retry now")).to_be_visible()

    expect_situation(bob, "connected")
    expect_back_in_the_session(alice, bob)
    assert connection_id(stage, bob) != bobs_connection  # the old one had expired: a new one, the state sent again
    lost = situations(bob)[situations(bob).index("connected/connected") + 1 :]
    assert "suspended/offline" in lost, lost
    assert set(lost) <= {
        "disconnected/reconnecting",
        "connecting/reconnecting",
        "suspended/offline",
        "connecting/offline",
        "connected/connected",
    }, lost
