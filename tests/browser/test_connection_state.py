"""The connection's state on the page, and what happens when the API fails: explained, retried, never a blank page."""

import re

from playwright.sync_api import Route, expect

from tests.browser.actions import expect_connection, host, lose_network, restore_network


class FailingEndpoint:
    """Answer the first `failures` requests to an API route with HTTP 500, then let requests through."""

    def __init__(self, failures: int):
        self.failures = failures
        self.failed = 0
        self.passed = 0

    def __call__(self, route: Route) -> None:
        if self.failed < self.failures:
            self.failed += 1
            route.fulfill(status=500, content_type="application/json",
                          body='{"error": {"code": "unavailable", "message": "The API is starting up"}}')
        else:
            self.passed += 1
            route.continue_()


def test_a_failing_token_endpoint_is_explained_retried_and_the_page_recovers(open_peer):
    alice = open_peer("alice")
    alice.expect_console_error("status of 500")
    token_endpoint = FailingEndpoint(failures=3)
    alice.page.route("**/api/createTokenRequest*", token_endpoint)

    alice.page.get_by_label("Your name").fill("alice")
    alice.page.get_by_role("button", name="Host a session").click()

    problem = alice.page.get_by_test_id("token-problem")
    expect(problem).to_contain_text("Could not get a token from the server")
    expect(problem).to_contain_text("HTTP 500: The API is starting up")
    expect(problem).to_contain_text(re.compile(r"Retrying in \d+ s \(attempt \d\)"))
    expect_connection(alice, "connected", timeout=10_000)
    expect(alice.page.get_by_test_id("client-status")).to_have_text("acknowledged")
    expect(problem).to_have_count(0)
    assert (token_endpoint.failed, token_endpoint.passed) == (3, 1)


def test_failing_connection_settings_are_explained_and_retried_until_the_api_answers(open_peer):
    alice = open_peer("alice")
    alice.expect_console_error("status of 500")
    config_endpoint = FailingEndpoint(failures=2)
    alice.page.route("**/api/clientConfig", config_endpoint)

    alice.page.get_by_label("Your name").fill("alice")
    alice.page.get_by_role("button", name="Host a session").click()

    alert = alice.page.get_by_role("alert")
    expect(alert).to_contain_text("Could not load the connection settings. Retrying in")
    expect(alert).to_contain_text("HTTP 500: The API is starting up")
    expect(alice.page.get_by_test_id("client-status")).to_have_text("acknowledged", timeout=10_000)
    expect(alert).to_be_empty()
    assert (config_endpoint.failed, config_endpoint.passed) == (2, 1)


def test_a_connected_page_says_so_in_words(open_peer):
    alice = open_peer("alice")
    host(alice)

    expect_connection(alice, "connected")
    expect(alice.page.get_by_test_id("connection-state")).to_have_text("Connected")
    expect(alice.page.get_by_role("button", name="Retry now")).to_have_count(0)


def test_a_dropped_network_shows_reconnecting_then_connected_again(open_peer):
    alice = open_peer("alice")
    host(alice)

    lose_network(alice)
    expect_connection(alice, "disconnected")
    expect(alice.page.get_by_test_id("connection-state")).to_have_text("Reconnecting")
    expect(alice.page.get_by_test_id("connection-sentence")).to_contain_text("Reconnecting by itself")

    restore_network(alice)
    expect_connection(alice, "connected")
