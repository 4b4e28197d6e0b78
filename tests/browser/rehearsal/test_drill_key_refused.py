"""Drill: Ably refuses the site's key (a key it does not know, the right key name with the wrong secret, a key
revoked in the account). The site's token endpoint works: it signs TokenRequests with the key, and Ably refuses
them when ably-js asks it for the token. The player is told within 15 s, in one clear state, that the site's key is
not accepted and to tell the site's owner, whose details line names ABLY_API_KEY; the dev host's log says
the same at startup (its background key check, `python -m devserver --check-ably`).

Each case is a stage of its own: the dev host's ABLY_API_KEY and the keys the stand-in Ably accepts differ.
"""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.rehearsal.drills import (
    KEY_NOT_ACCEPTED,
    RECORD_SITUATIONS,
    expect_never_connected_nor_lost,
    expect_one_clear_state,
    press_host,
)
from tests.stand_ins.stage import STAGE_KEY

KEY_NAME = STAGE_KEY.split(":", 1)[0]
# Each case: the stage's options, and the Ably error the player's page and the dev host's log quote.
CASES = {
    "unknown-key": ({"site_key": "rehearsal.unknownkey:a-key-ably-never-issued"}, 40101),
    "wrong-secret": ({"site_key": f"{KEY_NAME}:not-the-secret-ably-has"}, 40101),
    "revoked-key": ({"emulator_args": ["--revoked-key", KEY_NAME]}, 40131),
}
DEV_HOST_SAYS = r"this site's Ably key is not accepted: the site's owner must check ABLY_API_KEY \(Ably error {code}"


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def stage_options(case: str) -> dict[str, Any]:
    return CASES[case][0]


def test_a_key_ably_refuses_is_explained_to_the_player_and_in_the_dev_host_log(open_peer, stage, case):
    code = CASES[case][1]
    alice = open_peer("alice", init_script=RECORD_SITUATIONS)
    alice.expect_console_error(r"status of 401")  # Chromium logs Ably's refusal of the token request

    press_host(alice)

    expect_one_clear_state(alice, "key-refused", KEY_NOT_ACCEPTED, timeout=15_000)
    expect(alice.page.get_by_test_id("connection-sentence")).to_contain_text("this page keeps trying")
    expect(alice.page.get_by_test_id("connection-detail")).to_contain_text("ABLY_API_KEY")
    expect(alice.page.get_by_test_id("connection-detail")).to_contain_text(f"(Ably error {code})")
    expect(alice.page.get_by_role("button", name="Retry now")).to_have_count(0)  # nothing the player can do
    expect_never_connected_nor_lost(alice)
    stage.dev_host.wait_for(DEV_HOST_SAYS.format(code=code), timeout=30)
