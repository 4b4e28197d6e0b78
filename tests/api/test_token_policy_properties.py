"""Property-based: whatever a caller sends, an accepted token names only its session's channel and inboxes."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import token_policy
from api.errors import ApiError

KEY = "fakeapp.fakekey:fake-secret-for-token-policy-properties"
VALID_SESSION = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
VALID_PEER = st.from_regex(r"[A-Za-z0-9_-]{22,128}", fullmatch=True)
# What slips past a loose check: line ends (`$` matches before one), channel separators and wildcards, spaces.
TAILS = st.sampled_from(["", "\n", "\r\n", "\r", ":", ":inbox:x", "*", " ", "\x00", "é"])
SESSION_LIKE = st.one_of(VALID_SESSION, st.builds(str.__add__, VALID_SESSION, TAILS), st.text(max_size=80))
PEER_LIKE = st.one_of(VALID_PEER, st.builds(str.__add__, VALID_PEER, TAILS), st.text(max_size=140))
URL_SAFE = set(string.ascii_letters + string.digits + "_-")


def accepted(session: str, peer: str) -> tuple[str, str] | None:
    """The (session, peer) the endpoint would use, or None when it answers 400 (any other failure propagates)."""
    try:
        return token_policy.parse_session(session), token_policy.parse_peer(peer)  # type: ignore[return-value]
    except ApiError as error:
        if error.status != 400:
            raise
        return None


def permitted(capability: dict[str, list[str]], channel: str) -> set[str]:
    """The operations Ably allows on `channel`: the union over every matching resource (`prefix*` by prefix)."""
    ops: set[str] = set()
    for resource, operations in capability.items():
        if resource == channel or (resource.endswith("*") and channel.startswith(resource[:-1])):
            ops.update(operations)
    return ops


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(session=SESSION_LIKE, peer=PEER_LIKE)
def test_every_accepted_request_is_url_safe_whole(session, peer):
    parsed = accepted(session, peer)
    if parsed is not None:
        assert parsed == (session, peer)
        assert set(session) <= URL_SAFE
        assert 1 <= len(session) <= 64
        assert set(peer) <= URL_SAFE
        assert 22 <= len(peer) <= 128


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(session=SESSION_LIKE, peer=PEER_LIKE, other=st.text(min_size=1, max_size=30))
def test_every_accepted_token_names_only_its_session_and_reads_only_its_own_inbox(session, peer, other):
    parsed = accepted(session, peer)
    if parsed is None:
        return
    client_id = token_policy.client_id_for_peer(parsed[1], parsed[0], KEY)
    granted = token_policy.capability(parsed[0], client_id)
    channel = f"p2p:{session}"
    own_inbox = f"{channel}:inbox:{client_id}"
    assert set(granted) == {channel, f"{channel}:inbox:*", own_inbox}
    assert granted[channel] == ["history", "presence", "publish", "subscribe"]
    assert granted[f"{channel}:inbox:*"] == ["publish"]
    assert granted[own_inbox] == ["subscribe"]
    # Any other channel: another peer's inbox may be posted to, nothing else outside the session is reachable.
    for elsewhere in (f"{channel}:inbox:{other}", f"p2p:{other}", f"{channel}{other}", f"{channel}:{other}"):
        if elsewhere in (channel, own_inbox):
            continue
        expected = {"publish"} if elsewhere.startswith(f"{channel}:inbox:") else set()
        assert permitted(granted, elsewhere) == expected, elsewhere
