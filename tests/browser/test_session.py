"""A host and two friends in separate browsers share one session: roster, acknowledgement, the word stream."""

from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    connection_ids,
    expect_connection,
    expect_in_step_with_the_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
)


def test_every_page_shows_all_three_players_acknowledged_and_the_whole_phrase_only_the_host_can_stream(open_peer):
    alice, bob, carol = open_peer("alice"), open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    join(carol, session)

    for peer in (alice, bob, carol):
        expect_roster(peer, ["alice", "bob", "carol"])
        expect_in_step_with_the_host(peer)
        expect_connection(peer, "connected")
    for peer in (bob, carol):
        expect(peer.page.get_by_test_id("stream-words")).to_have_count(0)

    alice.page.get_by_role("button", name="Stream the words to everyone").click()

    for peer in (alice, bob, carol):
        expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)


def test_a_peer_dropped_mid_stream_shows_the_phrase_once_in_order_after_it_resumes_and_a_late_joiner_sees_it_whole(
    open_peer, dev_host
):
    alice = open_peer("alice")
    session = host(alice)
    before = connection_ids(dev_host)
    bob = open_peer("bob")
    join(bob, session)
    (bobs_connection,) = connection_ids(dev_host) - before

    alice.page.get_by_role("button", name="Stream the words to everyone").click()
    expect_stream_under_way(bob)
    dev_host.control(f"connections/{bobs_connection}/drop")

    expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    expect_connection(bob, "connected")
    assert bobs_connection in connection_ids(dev_host), "the connection resumed under the same id"
    expect(alice.page.get_by_test_id("received-words")).to_have_text(PHRASE)

    dave = open_peer("dave")
    join(dave, session)

    expect(dave.page.get_by_test_id("received-words")).to_have_text(PHRASE)
    expect_roster(dave, ["alice", "bob", "dave"])
