"""The pure token policy: its errors, clientIds, peer secrets and the params handed to ably-python (the session-id
rule and the capability are the shared vectors', tests/protocol/test_session_vectors.py)."""

from datetime import timedelta

import pytest

from api import token_policy
from api.errors import ApiError


def test_parse_session_rejects_an_absent_session_with_400_naming_the_parameter():
    with pytest.raises(ApiError) as raised:
        token_policy.parse_session(None)
    assert (raised.value.status, raised.value.code) == (400, "session_missing")
    assert "session parameter" in raised.value.message


def test_parse_session_names_the_rule_when_it_refuses_an_id():
    # Which ids the rule accepts and refuses, and the capability a token gets: tests/protocol/vectors/sessions.json,
    # held against this module, the site, the Python peer and the emulator's capability check.
    with pytest.raises(ApiError) as raised:
        token_policy.parse_session("has space")
    assert (raised.value.status, raised.value.code) == (400, "session_invalid")
    assert token_policy.SESSION_ID_PATTERN in raised.value.message


def test_new_client_id_is_unguessable_and_unique():
    ids = {token_policy.new_client_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    # 16 random bytes, URL-safe base64: 22 characters that survive a query string or a channel name.
    assert all(len(client_id) == 22 and client_id.replace("-", "").replace("_", "").isalnum() for client_id in ids)


def test_token_params_use_the_snake_case_names_ably_python_reads():
    params = token_policy.token_params("abc", 120)
    assert set(params) == {"client_id", "capability", "ttl"}
    assert params["ttl"] == timedelta(seconds=120)
    assert params["capability"] == token_policy.capability("abc", params["client_id"])


PEER = "p" * 22
KEY = "fakeapp.fakekey:fake-secret-for-token-policy-tests"


@pytest.mark.parametrize("peer", ["a" * 22, "Zz09_-" * 4, "x" * 128])
def test_parse_peer_accepts_url_safe_secrets_of_22_to_128_characters(peer):
    assert token_policy.parse_peer(peer) == peer


def test_parse_peer_treats_an_absent_peer_as_none():
    assert token_policy.parse_peer(None) is None


@pytest.mark.parametrize("peer", ["", "short", "x" * 129, "p" * 22 + "\n", "has space" * 3, "colon:" * 5, "ümlaut" * 5])
def test_parse_peer_rejects_other_values_with_400(peer):
    with pytest.raises(ApiError) as raised:
        token_policy.parse_peer(peer)
    assert (raised.value.status, raised.value.code) == (400, "peer_invalid")
    assert token_policy.PEER_PATTERN in raised.value.message


def test_client_id_for_peer_is_the_same_at_every_renewal_and_shaped_like_a_random_one():
    client_id = token_policy.client_id_for_peer(PEER, "abc", KEY)
    assert client_id == token_policy.client_id_for_peer(PEER, "abc", KEY)
    assert len(client_id) == 22
    assert client_id.replace("-", "").replace("_", "").isalnum()


def test_client_id_for_peer_differs_for_another_peer_session_or_key_secret():
    client_id = token_policy.client_id_for_peer(PEER, "abc", KEY)
    others = {
        token_policy.client_id_for_peer("q" * 22, "abc", KEY),
        token_policy.client_id_for_peer(PEER, "abd", KEY),
        token_policy.client_id_for_peer(PEER, "ab", KEY),
        token_policy.client_id_for_peer(PEER, "abc", "fakeapp.fakekey:fake-other-secret"),
    }
    assert client_id not in others
    assert len(others) == 4


def test_client_id_for_peer_cannot_be_steered_to_a_chosen_client_id():
    # Knowing a clientId (presence shows them all) does not help: the peer is never echoed or reversible.
    client_id = token_policy.client_id_for_peer(PEER, "abc", KEY)
    assert token_policy.client_id_for_peer(client_id, "abc", KEY) != client_id
    assert PEER not in client_id


def test_token_params_use_the_given_client_id():
    assert token_policy.token_params("abc", 60, "given-client-id")["client_id"] == "given-client-id"
