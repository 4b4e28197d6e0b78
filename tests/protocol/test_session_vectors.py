"""Session ids, channel names and the token's capability (tests/protocol/vectors/sessions.json) against the API, the
Python peer and the emulator.

tests/js/protocol-vectors.test.mjs holds the site (site/session-id.js) to the same rows, so all three agree.
"""

import re
from urllib.parse import quote

import pytest

from api import token_policy
from api.errors import ApiError
from emulator.auth import permits
from p2p import rules
from p2p.link import SiteError, parse_link

from .test_vectors import cases, vectors

SESSIONS = vectors("sessions")
GENERATED = SESSIONS["generated"]
SECRET = SESSIONS["peerSecret"]
CAPABILITIES = SESSIONS["capabilities"]
SITE = "http://127.0.0.1:4280"


def test_the_api_states_the_rule_in_its_errors_as_written_in_the_vectors():
    assert SESSIONS["pattern"] == token_policy.SESSION_ID_PATTERN
    assert SECRET["pattern"] == token_policy.PEER_PATTERN


@cases(SESSIONS["valid"])
def test_a_valid_id_gets_tokens_and_joins_from_a_link(case):
    assert token_policy.parse_session(case["id"]) == case["id"]
    assert parse_link(f"{SITE}/s/{quote(case['id'])}", session_required=True).session_id == case["id"]


@cases(SESSIONS["invalid"])
def test_an_invalid_id_is_refused_by_the_api_and_the_python_peer(case):
    with pytest.raises(ApiError) as raised:
        token_policy.parse_session(case["id"])
    assert (raised.value.status, raised.value.code) == (400, "session_invalid")
    with pytest.raises(ValueError, match="Invalid session id"):
        token_policy.channel_name_for(case["id"])
    with pytest.raises(SiteError):
        parse_link(f"{SITE}/s/{quote(case['id'])}", session_required=True)


def generated_id() -> re.Pattern[str]:
    group = f"[{re.escape(GENERATED['alphabet'])}]{{{GENERATED['groupLength']}}}"
    return re.compile("-".join([group] * (GENERATED["symbols"] // GENERATED["groupLength"])))


def test_the_python_peer_generates_ids_as_the_site_does_without_look_alikes():
    assert GENERATED["alphabet"] == rules.GENERATED_ID_ALPHABET
    assert not set(GENERATED["lookAlikes"]) & set(GENERATED["alphabet"])
    ids = {rules.random_session_id() for _ in range(200)}
    assert len(ids) == 200
    for session_id in ids:
        assert generated_id().fullmatch(session_id), session_id
        assert token_policy.parse_session(session_id) == session_id


def test_the_python_peers_secret_is_what_the_api_takes():
    secrets = {rules.new_peer_secret() for _ in range(100)}
    assert len(secrets) == 100
    for secret in secrets:
        assert len(secret) == SECRET["length"]
        assert set(secret) <= set(SECRET["alphabet"])
        assert token_policy.parse_peer(secret) == secret


@cases(SESSIONS["channels"])
def test_a_session_names_its_channel_and_inboxes(case):
    assert token_policy.channel_name_for(case["sessionId"]) == case["channel"]
    assert token_policy.inbox_channel_for(case["sessionId"], case["clientId"]) == case["inbox"]


@cases(CAPABILITIES)
def test_the_api_grants_a_peer_its_session_and_inbox(case):
    assert token_policy.capability(case["sessionId"], case["clientId"]) == case["capability"]
    assert token_policy.token_params(case["sessionId"], 60, case["clientId"])["capability"] == case["capability"]


@pytest.mark.parametrize(
    ("capability", "row"),
    [(case["capability"], row) for case in CAPABILITIES for row in case["allows"]],
    ids=[f"{case['name']}: {row['name']}" for case in CAPABILITIES for row in case["allows"]],
)
def test_the_emulator_lets_the_token_do_what_the_vectors_say(capability, row):
    operations = ("history", "presence", "publish", "subscribe")
    assert [op for op in operations if permits(capability, row["channel"], op)] == row["operations"]
