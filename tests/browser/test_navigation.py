"""Session links: a deep link opens the join form for that session, and a reload brings the form back."""

import re

from playwright.sync_api import expect

from tests.browser.actions import expect_in_step_with_the_host, expect_roster, host, join


def test_the_share_link_opens_the_join_form_with_the_session_filled_in_and_a_reload_offers_it_again(open_peer):
    alice = open_peer("alice")
    session = host(alice)
    link = alice.page.get_by_test_id("share-link").inner_text()
    assert link.endswith(f"/s/{session}")
    expect(alice.page).to_have_url(link)

    bob = open_peer("bob", path=f"/s/{session}")
    expect(bob.page.get_by_label("Session name")).to_have_value(session)
    join(bob)
    expect_roster(bob, ["alice", "bob"])

    bob.page.reload()
    expect(bob.page.get_by_label("Session name")).to_have_value(session)
    join(bob)

    expect_in_step_with_the_host(bob)
    expect(bob.page.get_by_test_id("player-count")).to_have_text(re.compile(r"Players: \d+"))


def test_a_malformed_session_link_explains_the_problem_instead_of_joining(open_peer):
    bob = open_peer("bob", path="/s/not a session!")
    bob.page.get_by_role("button", name="Join a session").click()

    expect(bob.page.get_by_test_id("session-problem")).to_be_visible()
    expect(bob.page.get_by_test_id("session")).to_have_count(0)


def test_a_missing_asset_is_a_404_not_the_app(open_peer, dev_host):
    page = open_peer("visitor").page
    response = page.request.get(f"{dev_host.url}/assets/not-there.js")
    assert response.status == 404
