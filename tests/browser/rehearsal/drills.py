"""What the failure drills share: a player pressing Host without waiting for it to work, the record of every
situation the page showed (site/connection-status.js), and the one clear state a drill must end in.

A clear state is one situation on the page, in the player's words, with nothing that contradicts it: no alert, no
"Connection lost" for a connection that never was, no invite card or roster for a session nobody could join.
"""

import contextlib
import re
import time
from collections.abc import Iterator

from playwright.sync_api import expect

from tests.browser.actions import client_id, lose_network, restore_network
from tests.browser.conftest import Peer
from tests.stand_ins.stage import ProductionStage

# Notes every situation the page shows, with Ably's state, in order from the page's first load (the form's progress
# line has no Ably state yet: "-"), every explanation under it and every progress line of the form, so that what was
# shown for a moment counts, and every roster the page listed (names sorted, comma-separated).
RECORD_SITUATIONS = """
window.situations = [];
window.details = [];
window.rosters = [];
new MutationObserver(() => {
  for (const badge of document.querySelectorAll('[data-testid=connection-state]')) {
    const seen = `${badge.dataset.state ?? '-'}/${badge.dataset.situation}`;
    if (window.situations.at(-1) !== seen) window.situations.push(seen);
  }
  for (const line of document.querySelectorAll('[data-testid=connection-detail], [data-testid=start-progress]')) {
    if (window.details.at(-1) !== line.textContent) window.details.push(line.textContent);
  }
  const names = [...document.querySelectorAll('[data-testid=roster-name]')].map((name) => name.textContent).sort();
  if (names.length && window.rosters.at(-1) !== names.join(',')) window.rosters.push(names.join(','));
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""

# The words of each situation a drill expects, as a player reads them (site/connection-status.js has them all).
CANNOT_REACH_ABLY = "Cannot reach Ably, the service this game connects through."
KEY_NOT_ACCEPTED = "This site's Ably key is not accepted, so nobody can join yet. Please tell the site's owner"
SERVER_NOT_ANSWERING = "This site's server is not answering properly, so you cannot join yet."
WAITING_FOR_SERVER = "Waiting for this site's server: it may be starting up"
CONNECTION_LOST = "Connection lost. Reconnecting by itself"
OFFLINE_FOR_A_WHILE = "Offline for a while."


def press_host(peer: Peer) -> None:
    """The player hosts a session, and does not wait for it to work (host() in actions.py does)."""
    page = peer.page
    page.get_by_label("Your name").fill(peer.name)
    page.get_by_role("button", name="Host a session").click()


def situations(peer: Peer) -> list[str]:
    """Every `state/situation` the page has shown so far, in order (opened with RECORD_SITUATIONS)."""
    return peer.page.evaluate("window.situations")


def wait_for_detail(peer: Peer, text: str, timeout: float = 15_000) -> str:
    """Wait until the page has explained a situation with a line containing `text` (opened with RECORD_SITUATIONS),
    even if only for a moment; return the whole line."""
    found = peer.page.wait_for_function(
        "(text) => window.details.find((line) => line.includes(text))", arg=text, timeout=timeout
    )
    return found.json_value()


def expect_situation(peer: Peer, situation: str, timeout: float = 15_000) -> None:
    """The page shows this situation (a key of SITUATIONS in site/connection-status.js), within `timeout` ms."""
    badge = peer.page.get_by_test_id("connection-state")
    expect(badge).to_have_attribute("data-situation", situation, timeout=timeout)


def expect_one_clear_state(peer: Peer, situation: str, words: str, timeout: float = 15_000) -> None:
    """Within `timeout` ms the page says `words` (its situation `situation`), and nothing that contradicts it:
    no alert, no session to invite anyone to or players to list, not even whose session it is."""
    page = peer.page
    expect_situation(peer, situation, timeout)
    expect(page.get_by_test_id("connection-sentence")).to_contain_text(words)
    expect(page.get_by_test_id("connection")).to_have_count(1)
    expect(page.get_by_test_id("error")).to_have_text("")
    for absent in ("share-link", "hosting", "player-count", "received-words"):
        expect(page.get_by_test_id(absent)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(re.compile("Connection lost|You left the session"))


def rosters(peer: Peer) -> list[str]:
    """Every roster the page listed so far, in order: the players' names, sorted and comma-separated."""
    return peer.page.evaluate("window.rosters")


def connection_id(stage: ProductionStage, peer: Peer) -> str:
    """The stand-in Ably's live connection of this peer (by the clientId its roster shows)."""
    who = client_id(peer)
    connections = stage.control("connections", method="GET")
    assert isinstance(connections, list)
    live = [c["connectionId"] for c in connections if c["clientId"] == who and c["state"] == "connected"]
    assert len(live) == 1, connections
    return live[0]


@contextlib.contextmanager
def lose_network_for(peer: Peer, stage: ProductionStage, seconds: float) -> Iterator[None]:
    """The peer's network is lost for at least `seconds` (counted from the loss), then back: the drill checks what the
    page says during the outage inside the `with`, and the rest of the outage passes when it ends. On a loaded machine
    the checks may outlast `seconds`; the outage then lasts as long as they do, so a drill chooses `seconds` and its
    checks' bounds well inside the Ably timings that give the outage its meaning."""
    lost_at = time.monotonic()
    lose_network(peer, stage)
    yield
    remaining = lost_at + seconds - time.monotonic()
    if remaining > 0:
        peer.page.wait_for_timeout(remaining * 1000)  # how long the fault lasts, not a wait for anything
    restore_network(peer)


def expect_never_connected_nor_lost(peer: Peer) -> None:
    """Nothing the page showed claimed a connection that never was: no 'reconnecting', 'offline' or 'left'."""
    claimed = [seen for seen in situations(peer) if seen.split("/")[1] in ("reconnecting", "offline", "left")]
    assert claimed == [], situations(peer)
