"""Drill: this site's own server (the API behind the front door) misbehaves as a deployment can: the token endpoint
answers 500 for a while, does not answer at all, or answers with something that is not the API's JSON (a proxy's
page); or the API starts cold and its first answer takes 8 s. The player sees progress in words (never "cannot
reach Ably" or "connection lost": Ably is fine), and joins as soon as the server answers.
"""

import json

from playwright.sync_api import expect

from tests.browser.actions import expect_connection, expect_in_step_with_the_host
from tests.browser.rehearsal.drills import (
    RECORD_SITUATIONS,
    SERVER_NOT_ANSWERING,
    WAITING_FOR_SERVER,
    expect_never_connected_nor_lost,
    expect_one_clear_state,
    press_host,
    situations,
    wait_for_detail,
)
from tests.stand_ins.front_door import NO_ANSWER, Fault

TOKENS = "/api/createTokenRequest"
# The page tries the token endpoint this many times within one of Ably's attempts (site/ably-client.js
# TOKEN_ATTEMPTS); one failure more, and Ably's own retry (15 s later) is needed too.
TOKEN_ATTEMPTS = 4
SERVER_ERROR = Fault(status=500, body=json.dumps({"error": {"code": "unavailable", "message": "The API is starting"}}))
PROXY_PAGE = Fault(status=200, body="<!doctype html><p>This site is starting.</p>", content_type="text/html")
COLD_START = Fault(delay=8.0)  # then passed on: the answer comes, late


def expect_joined_after_waiting(peer, timeout: float = 15_000) -> None:
    """The player is in the session within `timeout` ms, and everything the page said before was the server's
    progress, never a problem with Ably or a lost connection."""
    expect_connection(peer, "connected", timeout=timeout)
    expect_in_step_with_the_host(peer)
    expect(peer.page.get_by_test_id("share-link")).to_be_visible()
    before = situations(peer)[: situations(peer).index("connected/connected")]
    assert set(before) <= {"-/server-slow", "-/server-problem", "connecting/connecting", "initialized/connecting"} | {
        f"{state}/server-problem" for state in ("initialized", "connecting", "disconnected")
    }, situations(peer)
    expect_never_connected_nor_lost(peer)


def test_a_token_endpoint_failing_for_a_while_is_shown_as_progress_and_the_player_joins_once_it_answers(
    open_peer, stage
):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    alice.expect_console_error("status of 500")
    stage.front_door.fail(TOKENS, *[SERVER_ERROR] * (TOKEN_ATTEMPTS + 1))

    press_host(alice)

    expect_one_clear_state(alice, "server-problem", SERVER_NOT_ANSWERING)
    expect(alice.page.get_by_test_id("connection-sentence")).to_contain_text("Trying again by itself")
    detail = alice.page.get_by_test_id("connection-detail")
    expect(detail).to_contain_text("/api/createTokenRequest answered HTTP 500: The API is starting. Retrying in")
    # The page gives up for this attempt of Ably's, and Ably tries again by itself 15 s later: the same words.
    alice.page.wait_for_function("() => window.situations.includes('disconnected/server-problem')", timeout=20_000)
    expect_one_clear_state(alice, "server-problem", SERVER_NOT_ANSWERING)

    expect_joined_after_waiting(alice, timeout=30_000)  # Ably's next attempt comes up to 15 s after its last
    assert stage.front_door.requests_to(TOKENS) == TOKEN_ATTEMPTS + 2


def test_a_token_endpoint_that_does_not_answer_is_given_up_on_and_asked_again(open_peer, stage):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    stage.front_door.fail(TOKENS, NO_ANSWER)

    press_host(alice)

    wait_for_detail(alice, "/api/createTokenRequest did not answer within 8 s. Retrying in", timeout=15_000)
    expect_joined_after_waiting(alice)
    assert "connecting/server-problem" in situations(alice)


def test_a_token_endpoint_answering_a_page_instead_of_its_json_is_shown_and_asked_again(open_peer, stage):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    stage.front_door.fail(TOKENS, PROXY_PAGE)

    press_host(alice)

    wait_for_detail(alice, "/api/createTokenRequest answered HTTP 200 with something other than the API's JSON.")
    expect_joined_after_waiting(alice)
    assert "connecting/server-problem" in situations(alice)


def test_a_cold_start_shows_that_the_page_waits_for_the_server_and_the_player_joins_when_it_answers(open_peer, stage):
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    stage.front_door.fail("/api/clientConfig", COLD_START)

    press_host(alice)

    expect(alice.page.get_by_role("button", name="Host a session")).to_be_disabled()
    wait_for_detail(alice, WAITING_FOR_SERVER)  # shown while the server is silent, however late this looks
    expect(alice.page.get_by_test_id("error")).to_have_text("")
    expect_joined_after_waiting(alice)
    expect(alice.page.get_by_test_id("start-progress")).to_have_count(0)
