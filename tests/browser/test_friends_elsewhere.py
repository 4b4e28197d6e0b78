"""A friend on the same network joins from the invite link of a page the host opened on localhost."""

import pytest
from playwright.sync_api import expect

from devserver.network import lan_addresses
from tests.browser.actions import expect_roster, host, join
from tests.browser.conftest import running_dev_host


@pytest.fixture(scope="module")
def dev_host():
    """This module's dev host listens on every interface (`--lan`), as `make run` does."""
    with running_dev_host("--lan") as host:
        yield host


def test_a_friend_on_the_lan_joins_from_the_invite_link_of_a_page_opened_on_localhost(open_peer, dev_host):
    addresses = lan_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address for a friend to use")
    alice = open_peer("alice")  # on http://127.0.0.1:<port>, as the person running the dev host opens it
    session = host(alice)
    link = alice.page.get_by_test_id("share-link")
    port = dev_host.url.rsplit(":", 1)[1]
    expect(link).to_have_text(f"http://{addresses[0]}:{port}/s/{session}")

    bob = open_peer("bob", path=link.inner_text())
    # Plain http on a LAN address is not a secure context, where Chromium would log an error for a COOP header it
    # ignores: the dev host leaves that header out there, so the friend's console stays clean (the fixture checks).
    join(bob)

    expect_roster(alice, ["alice", "bob"])
    expect_roster(bob, ["alice", "bob"])
    assert bob.page.url.startswith(f"http://{addresses[0]}:{port}/")
