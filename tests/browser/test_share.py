"""Sharing a session: its link, a Copy button that says what it did, and a QR code a phone can scan."""

import re

from playwright.sync_api import expect

from tests.browser.actions import expect_roster, host, join, scan_qr_code

# Runs before the page's own scripts: a browser without the Clipboard API (e.g. a plain-http LAN address).
NO_CLIPBOARD_API = "Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined });"


def test_hosting_shows_an_unguessable_sessions_link_and_a_qr_code_a_friend_can_scan_to_join(open_peer):
    alice = open_peer("alice")
    session = host(alice)

    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}", session), "a random id of 74 bits, easy to read out"
    link = alice.page.get_by_test_id("share-link")
    expect(link).to_have_text(alice.page.url)
    expect(link).to_have_attribute("href", alice.page.url)
    assert alice.page.url.endswith(f"/s/{session}")

    scanned = scan_qr_code(alice)

    assert scanned == link.inner_text()
    bob = open_peer("bob", path=scanned)
    expect(bob.page.get_by_label("Session name")).to_have_value(session)
    join(bob)
    expect_roster(bob, ["alice", "bob"])


def test_copy_puts_the_link_on_the_clipboard_and_confirms_it(open_peer):
    alice = open_peer("alice", permissions=["clipboard-read", "clipboard-write"])
    host(alice)
    link = alice.page.get_by_test_id("share-link").inner_text()

    alice.page.get_by_role("button", name="Copy link").click()

    expect(alice.page.get_by_test_id("copy-result")).to_have_text("Copied the link.")
    expect(alice.page.get_by_test_id("copy-link")).to_have_text("Copied ✓")
    assert alice.page.evaluate("navigator.clipboard.readText()") == link


def test_copy_without_the_clipboard_api_selects_the_link_and_says_how_to_copy_it(open_peer):
    alice = open_peer("alice", init_script=NO_CLIPBOARD_API)
    host(alice)
    link = alice.page.get_by_test_id("share-link").inner_text()

    alice.page.get_by_role("button", name="Copy link").click()

    expect(alice.page.get_by_test_id("copy-result")).to_contain_text("the link is selected: press Ctrl+C")
    assert alice.page.evaluate("getSelection().toString()") == link
