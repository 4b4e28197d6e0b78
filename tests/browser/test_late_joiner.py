"""A late joiner gets the current state from the host as a snapshot, not only by rewind: on a dev host whose
emulator keeps history for 1 s, the first words of a finished stream can no longer be rewound."""

import pytest
from playwright.sync_api import expect

from tests.browser.actions import PHRASE, expect_roster, expect_stream_under_way, host, join, stream_words
from tests.browser.conftest import running_dev_host


@pytest.fixture(scope="module")
def dev_host():
    with running_dev_host("--emulator-history-ttl", "1") as dev_host:
        yield dev_host


def test_a_joiner_mid_stream_sees_every_word_once_and_a_later_one_gets_words_older_than_history_from_the_snapshot(
    open_peer,
):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    stream_words(alice)  # nine words half a second apart: the first ones leave history before the last is sent
    expect_stream_under_way(alice, words=3)

    carol = open_peer("carol")
    join(carol, session)

    for peer in (alice, bob, carol):
        expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)

    dave = open_peer("dave")
    join(dave, session)

    expect(dave.page.get_by_test_id("received-words")).to_have_text(PHRASE)
    expect_roster(dave, ["alice", "bob", "carol", "dave"])
