"""Drill: a player's network is lost for 5 s in the middle of a session, at Ably's own timings (a 15 s presence
timeout, a 2 minute connection TTL). The page says the connection was lost and is coming back by itself; when the
network returns it resumes the same connection without a reload, with the words streamed meanwhile, and the other
players never saw anything happen. (30 s and 3 minutes: test_drill_network_loss_long.py.)
"""

from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    expect_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    stream_words,
)
from tests.browser.rehearsal.drills import (
    CONNECTION_LOST,
    RECORD_SITUATIONS,
    connection_id,
    expect_situation,
    lose_network_for,
    rosters,
    situations,
)

OUTAGE_SECONDS = 5


def test_a_network_lost_for_5_s_shows_connection_lost_then_resumes_with_nothing_missed_and_nobody_noticing(
    open_peer, stage
):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    bob = open_peer("bob", init_script=RECORD_SITUATIONS)
    join(bob, host(alice))
    bobs_connection = connection_id(stage, bob)
    stream_words(alice)
    expect_stream_under_way(bob)

    with lose_network_for(bob, stage, OUTAGE_SECONDS):
        expect_situation(bob, "reconnecting", timeout=OUTAGE_SECONDS * 1000)
        expect(bob.page.get_by_test_id("connection-sentence")).to_contain_text(CONNECTION_LOST)
        expect(bob.page.get_by_role("button", name="Retry now")).to_have_count(0)

    expect_situation(bob, "connected")
    expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    assert connection_id(stage, bob) == bobs_connection  # resumed: the same connection, nothing to catch up on
    lost = situations(bob)[situations(bob).index("connected/connected") + 1 :]
    assert set(lost) <= {"disconnected/reconnecting", "connecting/reconnecting", "connected/connected"}, lost
    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect_host(peer, "alice")
        expect(peer.page.get_by_test_id("error")).to_have_text("")
    assert rosters(alice) == ["alice", "alice,bob"], rosters(alice)  # Bob never left, as far as Alice can tell
