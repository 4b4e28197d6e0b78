"""The friendly name: remembered on the device, cut to 32 characters, and always shown as text, never as markup."""

import re

from playwright.sync_api import expect

from tests.browser.actions import expect_roster, host, join


def test_a_first_visit_suggests_a_random_player_name_and_the_name_chosen_is_remembered_for_the_next_visit(open_peer):
    alice = open_peer("alice")
    expect(alice.page.get_by_label("Your name")).to_have_value(re.compile(r"^Player-\d{4}$"))
    host(alice)

    alice.page.goto("/")

    expect(alice.page.get_by_label("Your name")).to_have_value("alice")


def test_a_name_made_of_markup_is_shown_as_text_on_every_page(open_peer):
    alice, mallory = open_peer("alice"), open_peer('<img src=x onerror="alert(1)">')
    session = host(alice)
    join(mallory, session)

    for peer in (alice, mallory):
        expect_roster(peer, ["alice", '<img src=x onerror="alert(1)">'])
        expect(peer.page.locator("main img")).to_have_count(0)


def test_a_long_name_is_cut_to_32_characters(open_peer):
    alice = open_peer("alice")
    alice.page.get_by_label("Your name").fill("x" * 40)

    expect(alice.page.get_by_label("Your name")).to_have_value("x" * 32)
