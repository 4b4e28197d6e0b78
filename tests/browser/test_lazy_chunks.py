"""What hosting or joining needs (ably-js, the QR code library, the session code) loads after the first paint: it
starts downloading when the visitor first touches the form, and a download that fails says so only when the
visitor presses a button, offering to reload the page (Chromium keeps a failed download's failure until then), which
keeps the name typed."""

import re

from playwright.sync_api import expect

from tests.browser.actions import host

# The session code (P2PSession and the host's side, whose phrase the page also reads), ably-js, the QR code library.
LAZY_CHUNK = re.compile(r"/assets/(ably|qrcode|p2p\.session|p2p\.lib\.server)-[\w-]+\.js$")


def test_the_chunks_download_at_the_first_touch_of_the_form_not_with_the_page(open_peer):
    alice = open_peer("alice")
    requested: list[str] = []
    alice.page.on("request", lambda request: requested.append(request.url))
    expect(alice.page.get_by_role("button", name="Host a session")).to_be_enabled()
    assert not [url for url in requested if LAZY_CHUNK.search(url)], "nothing hosting needs comes with the page"

    with alice.page.expect_request(lambda request: bool(LAZY_CHUNK.search(request.url))):
        alice.page.get_by_label("Your name").focus()

    host(alice)


def test_a_failed_download_shows_nothing_until_the_visitor_hosts_then_a_reload_lets_them_host(open_peer):
    alice = open_peer("alice")
    alice.expect_console_error(r"Failed to load resource|ably")
    alice.page.route(LAZY_CHUNK, lambda route: route.abort())

    with alice.page.expect_event("requestfailed", lambda request: bool(LAZY_CHUNK.search(request.url))):
        alice.page.get_by_label("Your name").fill("alice")
    expect(alice.page.get_by_test_id("error")).to_be_empty()

    alice.page.get_by_role("button", name="Host a session").click()
    expect(alice.page.get_by_role("alert")).to_contain_text(
        "Could not load the rest of the page. Check your network, then reload the page."
    )

    alice.page.unroute(LAZY_CHUNK)
    alice.page.get_by_role("alert").get_by_role("button", name="Reload the page").click()
    expect(alice.page.get_by_label("Your name")).to_have_value("alice")
    expect(alice.page.get_by_test_id("error")).to_be_empty()
    host(alice)
