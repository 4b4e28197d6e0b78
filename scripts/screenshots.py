"""`.venv/bin/python scripts/screenshots.py`: retake the README's screenshots against the build.

docs/screenshot-host.png is the host's whole page in a 1280-wide window, docs/screenshot-phone.png the top of it
on a 390×844 phone screen (at twice the pixels); each after two friends (bob, carol) joined and the host streamed
the words to everyone. The site is built first when stale (as the tests do), then served by the dev host on the
emulator, and driven by the browser tests' own steps, so the pictures show what the tests check.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SHOTS: list[tuple[dict, bool, Path]] = [
    (DESKTOP, True, ROOT / "docs" / "screenshot-host.png"),
    (PHONE, False, ROOT / "docs" / "screenshot-phone.png"),
]
TIMEOUT_MS = 30_000  # generous: the machine may be busy


def take(browser, url: str, alice_screen: dict, full_page: bool, path: Path) -> None:
    """Alice hosts on `alice_screen`, bob and carol join, she streams the words: then her page is photographed."""
    from playwright.sync_api import expect

    from tests.browser.actions import PHRASE, expect_roster, host, join, stream_words
    from tests.browser.conftest import Peer

    contexts = []
    try:
        peers = []
        for name, screen in (("alice", alice_screen), ("bob", DESKTOP), ("carol", DESKTOP)):
            contexts.append(browser.new_context(base_url=url, **screen))
            page = contexts[-1].new_page()
            page.goto("/")
            peers.append(Peer(name, page))
        alice, bob, carol = peers
        session = host(alice)
        join(bob, session)
        join(carol, session)
        expect_roster(alice, ["alice", "bob", "carol"])
        stream_words(alice)
        for peer in peers:
            expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE)
        alice.page.evaluate("window.scrollTo(0, 0)")
        alice.page.screenshot(path=str(path), full_page=full_page)
        print(f"Wrote {path.relative_to(ROOT)}", flush=True)
    finally:
        for context in contexts:
            context.close()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, running_dev_host
    from tests.browser_path import chromium_executable
    from tests.site_build import ensure_site_built

    ensure_site_built()
    expect.set_options(timeout=TIMEOUT_MS)
    with running_dev_host() as dev_host, sync_playwright() as pw:
        browser = pw.chromium.launch(args=CHROMIUM_ARGS, executable_path=chromium_executable())
        try:
            for screen, full_page, path in SHOTS:
                take(browser, dev_host.url, screen, full_page, path)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
