"""GET /api/createTokenRequest: a TokenRequest signed with the key, least privilege, and every error path."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from api.functions import create_token_request
from tests.api.conftest import FAKE_KEY_NAME, FAKE_KEY_SECRET, assert_no_secret, call

OPS = ["history", "presence", "publish", "subscribe"]
SESSION = {"session": "demo"}


def expected_mac(token_request: dict, secret: str) -> str:
    """Recompute the MAC as Ably and its SDKs do: HMAC-SHA256, keyed by the secret, of the fields newline-terminated."""
    fields = ("keyName", "ttl", "capability", "clientId", "timestamp", "nonce")
    text = "".join(f"{token_request.get(field, '')}\n" for field in fields)
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def token_request(params: dict | None = None) -> dict:
    """The 200 body for `params`, which name the session `demo` unless they name another."""
    response = await call(create_token_request, params={**SESSION, **(params or {})})
    assert response.status_code == 200, response.get_body()
    return json.loads(response.get_body())


async def test_create_token_request_is_signed_with_the_configured_key(configured):
    body = await token_request()
    assert body["keyName"] == FAKE_KEY_NAME
    assert body["mac"] == expected_mac(body, FAKE_KEY_SECRET)
    assert body["mac"] != expected_mac(body, "fake-other-secret")


async def test_create_token_request_has_every_field_ably_checks_and_no_nulls(configured):
    body = await token_request()
    assert set(body) == {"keyName", "clientId", "ttl", "nonce", "capability", "timestamp", "mac"}
    assert None not in body.values()
    assert abs(body["timestamp"] - time.time() * 1000) < 60_000


async def test_create_token_request_without_session_is_a_400_naming_the_parameter(configured):
    # A token for no session would need a wildcard capability (every session's channels), which the site never needs.
    response = await call(create_token_request, params={"peer": PEER})
    assert response.status_code == 400
    assert error_body(response) == {
        "code": "session_missing",
        "message": "The session parameter is required and must match ^[A-Za-z0-9_-]{1,64}$.",
    }


async def test_create_token_request_with_session_covers_only_that_session_and_its_own_inbox(configured):
    body = await token_request({"session": "demo-42"})
    assert json.loads(body["capability"]) == {
        "p2p:demo-42": OPS,
        "p2p:demo-42:inbox:*": ["publish"],
        f"p2p:demo-42:inbox:{body['clientId']}": ["subscribe"],
    }
    assert body["mac"] == expected_mac(body, FAKE_KEY_SECRET)


async def test_create_token_request_ttl_is_one_hour_in_milliseconds_by_default(configured):
    assert (await token_request())["ttl"] == 3_600_000


async def test_create_token_request_ttl_follows_the_app_setting(configured):
    configured(ABLY_TOKEN_TTL_SECONDS="600")
    assert (await token_request())["ttl"] == 600_000


async def test_create_token_request_gives_every_caller_a_new_unguessable_client_id(configured):
    bodies = [await token_request() for _ in range(200)]
    client_ids = {body["clientId"] for body in bodies}
    assert len(client_ids) == 200
    assert all(len(client_id) >= 22 for client_id in client_ids)
    assert len({body["nonce"] for body in bodies}) == 200


async def test_create_token_request_ignores_a_client_id_named_by_the_browser(configured):
    body = await token_request({"clientId": "alice", "client_id": "alice"})
    assert body["clientId"] != "alice"


async def test_create_token_request_is_json_and_never_cached(configured):
    response = await call(create_token_request, params=SESSION)
    assert response.mimetype == "application/json"
    assert response.charset == "utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert_no_secret(response)


async def test_create_token_request_answers_head_like_get(configured):
    """`curl -I` works; the host sends no body for HEAD."""
    response = await call(create_token_request, params=SESSION, method="HEAD")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def error_body(response) -> dict:
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert_no_secret(response)
    return json.loads(response.get_body())["error"]


async def test_create_token_request_without_key_is_a_500_naming_the_setting(app_settings):
    response = await call(create_token_request, params=SESSION)
    assert response.status_code == 500
    assert error_body(response) == {"code": "setting_missing", "message": "The app setting ABLY_API_KEY is not set."}


async def test_create_token_request_with_malformed_key_is_a_500_that_does_not_echo_it(app_settings):
    app_settings(ABLY_API_KEY=FAKE_KEY_SECRET)
    response = await call(create_token_request, params=SESSION)
    assert response.status_code == 500
    error = error_body(response)
    assert error["code"] == "setting_invalid"
    assert "ABLY_API_KEY" in error["message"]


async def test_create_token_request_with_invalid_ttl_setting_is_a_500_naming_it(configured):
    configured(ABLY_TOKEN_TTL_SECONDS="forever")
    response = await call(create_token_request, params=SESSION)
    assert response.status_code == 500
    error = error_body(response)
    assert error["code"] == "setting_invalid"
    assert "ABLY_TOKEN_TTL_SECONDS" in error["message"]


@pytest.mark.parametrize("session", ["", "two words", "p2p:*", "x" * 65, "../etc", "abc\n", "abc\r\n"])
async def test_create_token_request_with_invalid_session_is_a_400(configured, session):
    response = await call(create_token_request, params={"session": session})
    assert response.status_code == 400
    assert error_body(response) == {
        "code": "session_invalid",
        "message": "The session parameter must match ^[A-Za-z0-9_-]{1,64}$.",
    }


async def test_create_token_request_checks_the_session_before_the_settings(app_settings):
    """A bad request is the caller's fault even when the deployment is misconfigured too."""
    response = await call(create_token_request, params={"session": "bad session"})
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "post"])
async def test_create_token_request_answers_other_methods_with_405(configured, method):
    response = await call(create_token_request, params=SESSION, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    error = error_body(response)
    assert error["code"] == "method_not_allowed"
    assert method.upper() in error["message"]


PEER = "fake-page-secret-0123456789"


async def test_create_token_request_gives_a_page_the_same_client_id_at_every_renewal(configured):
    first = await token_request({"session": "demo", "peer": PEER})
    renewal = await token_request({"session": "demo", "peer": PEER})
    other_page = await token_request({"session": "demo", "peer": PEER + "x"})
    assert first["clientId"] == renewal["clientId"] != other_page["clientId"]
    assert first["nonce"] != renewal["nonce"]
    assert json.loads(first["capability"])[f"p2p:demo:inbox:{first['clientId']}"] == ["subscribe"]


async def test_create_token_request_with_a_peer_still_ignores_a_client_id_named_by_the_browser(configured):
    named = await token_request({"session": "demo", "peer": PEER, "clientId": "the-hosts-client-id"})
    assert named["clientId"] == (await token_request({"session": "demo", "peer": PEER}))["clientId"]
    assert named["clientId"] != "the-hosts-client-id"


@pytest.mark.parametrize("peer", ["", "short", "x" * 129, "not/url/safe/at/all/!!", "p" * 22 + "\n"])
async def test_create_token_request_with_invalid_peer_is_a_400(configured, peer):
    response = await call(create_token_request, params={"session": "demo", "peer": peer})
    assert response.status_code == 400
    assert error_body(response) == {
        "code": "peer_invalid",
        "message": "The peer parameter must match ^[A-Za-z0-9_-]{22,128}$.",
    }
