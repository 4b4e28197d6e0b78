"""Accessibility: axe finds no violation on any screen, the whole flow works with the keyboard alone, and the
page fits a phone (390×844) with touch-sized buttons."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.actions import (
    PHRASE,
    expect_in_step_with_the_host,
    expect_roster,
    host,
    join,
    lose_network,
    stream_words,
)
from tests.browser.conftest import ARTIFACTS, running_dev_host
from tests.browser.test_connection_state import FailingEndpoint

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
AXE = Axe()


@pytest.fixture(scope="module")
def dev_host():
    """Short timings, so the Offline (suspended) screen is reached in seconds."""
    flags = ("--emulator-connection-state-ttl", "2", "--emulator-presence-leave-timeout", "1")
    with running_dev_host(*flags) as dev_host:
        yield dev_host


def expect_no_axe_violations(page: Page) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_form_and_the_form_with_a_problem_have_no_axe_violations(open_peer):
    visitor = open_peer("visitor")
    expect_no_axe_violations(visitor.page)

    visitor.page.goto("/s/not a session!")  # an invitation to a malformed session
    visitor.page.get_by_role("button", name="Join a session").click()
    expect(visitor.page.get_by_test_id("session-problem")).to_be_visible()
    expect(visitor.page.get_by_label("Session name")).to_be_focused()
    expect_no_axe_violations(visitor.page)


def test_the_error_screens_have_no_axe_violations(open_peer, dev_host):
    """One page through each error screen in turn, reloaded in between."""
    visitor = open_peer("visitor")
    visitor.expect_console_error("status of 500")
    page = visitor.page

    page.route("**/api/clientConfig", FailingEndpoint(failures=100))
    page.get_by_role("button", name="Host a session").click()
    expect(page.get_by_test_id("start-progress")).to_contain_text("This site's server is not answering properly")
    expect_no_axe_violations(page)

    page.unroute_all(behavior="ignoreErrors")
    page.route("**/api/createTokenRequest*", FailingEndpoint(failures=100))
    page.reload()
    page.get_by_role("button", name="Host a session").click()
    expect(page.get_by_test_id("connection-detail")).to_contain_text("Retrying in")
    expect_no_axe_violations(page)

    page.unroute_all(behavior="ignoreErrors")
    page.reload()
    host(visitor)
    lose_network(visitor, dev_host)
    expect(page.get_by_role("button", name="Retry now")).to_be_visible(timeout=15_000)
    expect_no_axe_violations(page)


def press_tab_until(page: Page, selector: str, limit: int = 30) -> None:
    """Press Tab until the element matching the CSS `selector` has the focus (failing after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement?.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")


def test_hosting_joining_streaming_and_copying_work_with_the_keyboard_alone_on_screens_without_axe_violations(
    open_peer,
):
    alice = open_peer("alice", permissions=["clipboard-read", "clipboard-write"])
    page = alice.page
    press_tab_until(page, "#friendly-name")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("alice")
    page.keyboard.press("Enter")  # submits with the first button: Host
    expect_in_step_with_the_host(alice)
    expect(page.get_by_role("heading", level=2)).to_be_focused()  # the new screen is announced from its heading
    link = page.get_by_test_id("share-link").inner_text()

    bob = open_peer("bob", path=link)
    press_tab_until(bob.page, "#friendly-name")
    bob.page.keyboard.press("ControlOrMeta+a")
    bob.page.keyboard.type("bob")
    bob.page.keyboard.press("Enter")  # on an invitation the first button is Join
    expect_roster(bob, ["alice", "bob"])

    press_tab_until(page, "[data-testid=stream-words]")
    page.keyboard.press("Enter")
    expect(bob.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    press_tab_until(page, "[data-testid=copy-link]")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("copy-result")).to_have_text("Copied the link.")

    for peer in (alice, bob):
        expect_no_axe_violations(peer.page)


def test_on_a_phone_the_session_fits_the_screen_with_touch_sized_buttons(open_peer):
    alice = open_peer("alice", **PHONE)
    bob, carol = open_peer("bob"), open_peer("carol")
    session = host(alice)
    join(bob, session)
    join(carol, session)
    stream_words(alice)
    expect(alice.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
    page = alice.page

    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    for button in page.get_by_role("button").all():
        box = button.bounding_box()
        assert box is not None, f"{button.inner_text()} is not visible"
        assert box["height"] >= 44, button.inner_text()
        assert 0 <= box["x"] <= 390 - box["width"], button.inner_text()
    qr = page.get_by_test_id("share-qr").bounding_box()
    assert 150 <= qr["width"] <= 390
    expect_no_axe_violations(page)

    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-390x844.png"))


def test_on_a_phone_a_player_who_joined_sees_who_hosts_the_connection_and_the_words_without_scrolling(open_peer):
    alice, bob = open_peer("alice"), open_peer("bob", **PHONE)
    session = host(alice)
    join(bob, session)
    stream_words(alice)
    stream_words(alice)
    page = bob.page
    expect(page.get_by_test_id("phrase")).to_have_count(2, timeout=20_000)
    expect(page.get_by_test_id("phrase").last).to_have_text(PHRASE, timeout=20_000)

    assert page.evaluate("window.scrollY") == 0
    for what in ("hosting", "connection", "received-words"):
        box = page.get_by_test_id(what).bounding_box()
        assert box is not None, what
        assert 0 <= box["y"] <= box["y"] + box["height"] <= PHONE["viewport"]["height"], what
