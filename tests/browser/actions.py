"""What a person does on the page, as steps the browser tests read like."""

from playwright.sync_api import expect

from tests.browser.conftest import DevHost, Peer

PHRASE = "The quick brown fox jumped over the lazy dog"


def host(peer: Peer, session: str = "") -> str:
    """Host a session as `peer.name` (a random session id unless one is given); return the session id."""
    page = peer.page
    page.get_by_label("Session name").fill(session)
    page.get_by_label("Your name").fill(peer.name)
    page.get_by_role("button", name="Host a session").click()
    expect(page.get_by_test_id("client-status")).to_have_text("acknowledged")
    return page.get_by_test_id("session-id").inner_text()


def join(peer: Peer, session: str | None = None) -> None:
    """Join `session` as `peer.name` (or the session the page was opened with) and wait for the host's ack."""
    page = peer.page
    if session is not None:
        page.get_by_label("Session name").fill(session)
    page.get_by_label("Your name").fill(peer.name)
    page.get_by_role("button", name="Join a session").click()
    expect(page.get_by_test_id("client-status")).to_have_text("acknowledged")


def expect_roster(peer: Peer, names: list[str]) -> None:
    """The page lists exactly these players (in any order) and counts them."""
    page = peer.page
    expect(page.get_by_test_id("player-count")).to_have_text(f"Active players: {len(names)}")
    expect(page.get_by_test_id("roster-name")).to_contain_text(names, use_inner_text=True)
    assert sorted(page.get_by_test_id("roster-name").all_inner_texts()) == sorted(names)


def connection_ids(dev_host: DevHost) -> set[str]:
    """The emulator's live connections, by id."""
    return {connection["connectionId"] for connection in dev_host.control("connections", method="GET")}
