"""The connection's state on the page, and what happens when the API fails: explained, retried, never a blank page."""

import pytest
from playwright.sync_api import Route, expect

from tests.browser.actions import (
    client_id,
    expect_connection,
    expect_in_step_with_the_host,
    expect_roster,
    expect_stream_under_way,
    host,
    join,
    stream_words,
)
from tests.browser.conftest import running_dev_host


@pytest.fixture(scope="module")
def dev_host():
    """A dev host of its own, whose emulator times presence out after 1 s (Ably: 15 s): a page whose connection
    failed leaves its presence behind, and the rosters settle only once that has timed out."""
    with running_dev_host("--emulator-presence-leave-timeout", "1") as dev_host:
        yield dev_host


class TokenGate:
    """Answers the token endpoint with HTTP 403 while shut: ably-js then fails the connection for good."""

    def __init__(self) -> None:
        self.shut = False

    def __call__(self, route: Route) -> None:
        if self.shut:
            route.fulfill(
                status=403,
                content_type="application/json",
                body='{"error": {"code": "forbidden", "message": "Not allowed right now"}}',
            )
        else:
            route.continue_()


class FailingEndpoint:
    """Answer the first `failures` requests to an API route with HTTP 500, then let requests through."""

    def __init__(self, failures: int):
        self.failures = failures
        self.failed = 0
        self.passed = 0

    def __call__(self, route: Route) -> None:
        if self.failed < self.failures:
            self.failed += 1
            route.fulfill(
                status=500,
                content_type="application/json",
                body='{"error": {"code": "unavailable", "message": "The API is starting up"}}',
            )
        else:
            self.passed += 1
            route.continue_()


def test_failing_connection_settings_are_explained_as_progress_and_retried_until_the_api_answers(open_peer):
    alice = open_peer("alice")
    alice.expect_console_error("status of 500")
    config_endpoint = FailingEndpoint(failures=2)
    alice.page.route("**/api/clientConfig", config_endpoint)

    alice.page.get_by_label("Your name").fill("alice")
    alice.page.get_by_role("button", name="Host a session").click()

    progress = alice.page.get_by_test_id("start-progress")
    expect(progress).to_contain_text("This site's server is not answering properly, so you cannot join yet.")
    expect(progress).to_contain_text("/api/clientConfig answered HTTP 500: The API is starting up. Retrying in")
    expect_in_step_with_the_host(alice, timeout=10_000)
    expect(alice.page.get_by_role("alert")).to_be_empty()
    assert (config_endpoint.failed, config_endpoint.passed) == (2, 1)


def test_a_failed_connection_says_so_and_retry_now_joins_the_session_again(open_peer, dev_host):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    gate = TokenGate()
    alice.page.route("**/api/createTokenRequest*", gate)
    alice.expect_console_error("status of 403")
    gate.shut = True
    dev_host.control(f"tokens/expire?clientId={client_id(alice)}")  # the renewal gets the 403

    expect_connection(alice, "failed")
    expect(alice.page.get_by_test_id("connection-sentence")).to_contain_text("will not retry by itself")
    gate.shut = False
    alice.page.get_by_role("button", name="Retry now").click()

    expect_connection(alice, "connected")
    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
        expect_in_step_with_the_host(peer)
        expect(peer.page.get_by_test_id("host-badge")).to_have_count(1)


def test_an_expired_token_is_renewed_under_the_same_identity_without_leaving_the_session(open_peer, dev_host):
    alice, bob = open_peer("alice"), open_peer("bob")
    session = host(alice)
    join(bob, session)
    bobs_id = client_id(bob)

    dev_host.control(f"tokens/expire?clientId={bobs_id}")

    expect_connection(bob, "connected")
    stream_words(alice)
    expect_stream_under_way(bob)
    assert client_id(bob) == bobs_id
    for peer in (alice, bob):
        expect_roster(peer, ["alice", "bob"])
