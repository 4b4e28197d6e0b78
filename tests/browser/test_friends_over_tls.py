"""Friends join over https through a TLS-terminating proxy (as through a tunnel): the page's WebSocket is wss too."""

from playwright.sync_api import expect

from tests.browser.actions import expect_roster, host, join
from tests.stand_ins.certificates import ThrowawayCA
from tests.stand_ins.front_door import FrontDoor


def test_friends_join_over_https_through_a_tls_terminating_proxy_with_wss_end_to_end(open_peer, dev_host, tmp_path):
    certificate = ThrowawayCA(tmp_path).issue("127.0.0.1")
    with FrontDoor(dev_host.url, certificate) as front_door:
        public_url = f"https://127.0.0.1:{front_door.port}"
        sockets: list[str] = []
        alice = open_peer("alice", path=public_url + "/", ignore_https_errors=True)
        alice.page.on("websocket", lambda socket: sockets.append(socket.url))
        session = host(alice)
        link = alice.page.get_by_test_id("share-link")
        expect(link).to_have_text(f"{public_url}/s/{session}")
        bob = open_peer("bob", path=link.inner_text(), ignore_https_errors=True)
        bob.page.on("websocket", lambda socket: sockets.append(socket.url))
        join(bob)

        expect_roster(alice, ["alice", "bob"])
        expect_roster(bob, ["alice", "bob"])
        for peer in (alice, bob):  # before the proxy goes, or the pages would log failed reconnections
            peer.page.close()
    wss_origin = public_url.replace("https://", "wss://", 1)
    assert sockets, "the pages opened no WebSocket"
    assert all(url.startswith(wss_origin + "/") for url in sockets), sockets
