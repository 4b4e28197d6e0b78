"""What a person does on the page, as steps the browser tests read like."""

import base64
import json
import re
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import ROOT, DevHost, Peer
from tests.stand_ins.stage import ProductionStage

PHRASE = "The quick brown fox jumped over the lazy dog"


def host(peer: Peer, session: str = "") -> str:
    """Host a session as `peer.name` (a random session id unless one is given); return the session id."""
    page = peer.page
    page.get_by_label("Session name").fill(session)
    page.get_by_label("Your name").fill(peer.name)
    page.get_by_role("button", name="Host a session").click()
    expect_in_step_with_the_host(peer)
    return page.get_by_test_id("session-id").inner_text()


def join(peer: Peer, session: str | None = None) -> None:
    """Join `session` as `peer.name` (or the session the page was opened with) and wait for the host's answer."""
    page = peer.page
    if session is not None:
        page.get_by_label("Session name").fill(session)
    page.get_by_label("Your name").fill(peer.name)
    page.get_by_role("button", name="Join a session").click()
    expect_in_step_with_the_host(peer)


def expect_in_step_with_the_host(peer: Peer, timeout: float = 15_000) -> None:
    """The host has sent this page the session's state (P2PClient's status `acknowledged`, which the page keeps
    out of sight as the session card's data-status: no player needs the word)."""
    session = peer.page.get_by_test_id("session")
    expect(session).to_have_attribute("data-status", "acknowledged", timeout=timeout)


def expect_roster(peer: Peer, names: list[str], timeout: float = 15_000) -> None:
    """The page lists exactly these players (in any order) and counts them, within `timeout` ms."""
    page = peer.page
    expect(page.get_by_test_id("player-count")).to_have_text(f"Players: {len(names)}", timeout=timeout)
    for name in names:
        exactly = re.compile(f"^{re.escape(name)}$")
        expect(page.get_by_test_id("roster-name").filter(has_text=exactly)).to_have_count(1, timeout=timeout)
    assert sorted(page.get_by_test_id("roster-name").all_inner_texts()) == sorted(names)


def expect_host(peer: Peer, name: str, timeout: float = 15_000) -> None:
    """The page says who hosts (in words, however it came about, and with the roster's one host badge), and offers
    streaming only to the host."""
    page = peer.page
    me = page.get_by_test_id("my-name").inner_text()
    if name == me:
        expected = re.compile(r"^You are hosting( now)?\.$")
    else:
        expected = re.compile(f"^{re.escape(name)} is hosting( now| this session, so you joined as a player)?\\.$")
    expect(page.get_by_test_id("hosting")).to_have_text(expected, timeout=timeout)
    hosts = page.get_by_test_id("roster-item").filter(has=page.get_by_test_id("host-badge"))
    expect(hosts).to_have_count(1)
    expect(hosts.get_by_test_id("roster-name")).to_have_text(name)
    expect(page.get_by_test_id("stream-words")).to_have_count(1 if name == me else 0)


def stream_words(peer: Peer) -> None:
    """The host presses the button that streams the phrase to everyone, one word at a time."""
    peer.page.get_by_role("button", name="Stream the words to everyone").click()


def expect_stream_under_way(peer: Peer, words: int = 2) -> None:
    """The page shows at least the first `words` words of the phrase. Only a prefix can be awaited: the stream
    moves on every half second, so on a busy machine the next word may already be there when Playwright looks."""
    first_words = " ".join(PHRASE.split()[:words])
    expect(peer.page.get_by_test_id("received-words")).to_have_text(re.compile(f"^{re.escape(first_words)}"))


def close_tab(peer: Peer) -> None:
    """The person closes the tab: the page unloads as a browser tab does."""
    peer.page.close()


def expect_connection(peer: Peer, state: str, timeout: float = 15_000) -> None:
    """The page shows this Ably connection state (`connected`, `disconnected` shown as Reconnecting, ...)."""
    expect(peer.page.get_by_test_id("connection-state")).to_have_attribute("data-state", state, timeout=timeout)


def client_id(peer: Peer) -> str:
    """This peer's Ably clientId, as its own roster shows it."""
    page = peer.page
    me = page.get_by_test_id("roster-item").filter(has=page.get_by_test_id("me-marker"))
    return me.get_attribute("data-client-id")


def lose_network(peer: Peer, dev_host: DevHost | ProductionStage | None = None) -> None:
    """The peer's network dies: every reconnect fails until `restore_network`.

    Offline, the browser cannot even send a close frame, so the server would not notice for a while; with
    `dev_host` (or a production stage), the emulator also drops the peer's socket, as Ably does once a dead socket
    times out.
    """
    who = client_id(peer) if dev_host else None
    peer.expect_console_error("ERR_INTERNET_DISCONNECTED")
    peer.page.context.set_offline(True)
    if who:
        dev_host.control(f"connections/drop?clientId={who}")


def restore_network(peer: Peer) -> None:
    peer.page.context.set_offline(False)


def connection_ids(dev_host: DevHost) -> set[str]:
    """The emulator's live connections, by id."""
    return {connection["connectionId"] for connection in dev_host.control("connections", method="GET")}


# Decodes the RGBA pixels given on stdin as JSON {width, height, data} with jsQR (a devDependency).
_DECODE_QR = """
const jsQR = require('jsqr');
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { width, height, data } = JSON.parse(input);
  const code = jsQR(Uint8ClampedArray.from(data), width, height);
  process.stdout.write(JSON.stringify(code ? code.data : null));
});
"""

# Turns a PNG (base64) into RGBA pixels in the page; no network, so the page's CSP does not matter.
_PNG_TO_PIXELS = """async (base64) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { width: bitmap.width, height: bitmap.height, data: Array.from(data) };
}"""


def scan_qr_code(peer: Peer) -> str | None:
    """Point a phone at the QR code on the page: return the text it encodes (None if it does not scan)."""
    png = peer.page.get_by_test_id("share-qr").screenshot()
    pixels = peer.page.evaluate(_PNG_TO_PIXELS, base64.b64encode(png).decode())
    result = subprocess.run(
        ["node", "--input-type=commonjs", "-e", _DECODE_QR],
        input=json.dumps(pixels),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)
