"""Retry now on a page offline past the connection state TTL reconnects it at once, instead of at Ably's next try
30 s later. On a dev host whose emulator keeps a connection's state for 3 s (Ably: 2 minutes) and times presence
out after 1 s. (What such a page shows and recovers, words and place included, is the failure drill
tests/browser/rehearsal/test_drill_network_loss_long.py, on the site as deployed.)"""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, WebSocketRoute

from tests.browser.actions import (
    expect_connection,
    expect_roster,
    host,
    join,
    lose_network,
    restore_network,
)
from tests.browser.conftest import running_dev_host

CONNECTION_STATE_TTL = 3


@pytest.fixture(scope="module")
def dev_host():
    flags = ("--emulator-connection-state-ttl", str(CONNECTION_STATE_TTL), "--emulator-presence-leave-timeout", "1")
    with running_dev_host(*flags) as dev_host:
        yield dev_host


class SocketGate:
    """Refuses the page's new WebSockets while shut, so coming back online does not reconnect it by itself."""

    def __init__(self) -> None:
        self.shut = False
        self.refused = 0

    def __call__(self, ws: WebSocketRoute) -> None:
        if self.shut:
            self.refused += 1
            ws.close()
        else:
            ws.connect_to_server()


def wait_until(page: Page, condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll a condition on this side, letting Playwright run the page's event handlers (routes) meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        page.wait_for_timeout(50)


def test_retry_now_reconnects_a_suspended_page_at_once(open_peer, dev_host):
    alice, bob = open_peer("alice"), open_peer("bob")
    gate = SocketGate()
    bob.page.route_web_socket(re.compile("^ws"), gate)
    bob.page.reload()  # routing applies to pages loaded after it is set up
    session = host(alice)
    join(bob, session)
    lose_network(bob, dev_host)
    expect_connection(bob, "suspended", timeout=(CONNECTION_STATE_TTL + 10) * 1_000)
    gate.shut = True
    restore_network(bob)  # the browser's online event makes Ably try once; the gate refuses it
    wait_until(bob.page, lambda: gate.refused > 0, "Ably to try the network once it is back")
    expect_connection(bob, "suspended")

    gate.shut = False
    bob.page.get_by_role("button", name="Retry now").click()

    expect_connection(bob, "connected", timeout=10_000)  # Ably alone would wait 30 s in suspended
    expect_roster(alice, ["alice", "bob"])
