"""Token revocation (`POST /keys/{keyName}/revokeTokens`), as Ably serves it for a key with revocable tokens.

ably-python has no revokeTokens call, so the revocation itself is a plain HTTP request with the key (basic auth,
as ably-js's `auth.revokeTokens` sends it); what it does to clients is watched through ably-python.
"""

import base64
import json
import time

import aiohttp
import pytest

from emulator.auth import now_ms
from emulator.cli import build_parser, config_from
from tests.stand_ins.echo import ably_jwt

from .conftest import FAKE_KEY, Inbox

KEY_NAME = FAKE_KEY.split(":")[0]
REVOCABLE = pytest.mark.emulator_config(revocable_keys=[KEY_NAME])


async def revoke(emulator, body: dict, key_name: str = KEY_NAME, authorization: str | None = None) -> tuple:
    """POST the revocation; (HTTP status, answer body)."""
    basic = "Basic " + base64.b64encode(FAKE_KEY.encode()).decode()
    url = f"{emulator.url}/keys/{key_name}/revokeTokens"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers={"Authorization": authorization or basic}) as answer,
    ):
        return answer.status, await answer.json()


async def refusal_of(token: str, emulator) -> tuple | None:
    """What a REST request made with `token` gets: (status, code) when refused, None when it is served.

    Plain HTTP, since ably-python answers a token error by trying to renew the token.
    """
    bearer = "Bearer " + base64.b64encode(token.encode()).decode()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.url}/channels/p2p:x/messages", headers={"Authorization": bearer}) as answer,
    ):
        return None if answer.status == 200 else (answer.status, (await answer.json())["error"]["code"])


@REVOCABLE
async def test_revoking_a_client_id_disconnects_its_connections_with_40141_and_its_tokens_are_refused(
    emulator, clients
):
    alice = await clients.realtime("alice")
    bob = await clients.realtime("bob")
    alice_token, bob_token = await clients.token("alice"), await clients.token("bob")
    alices_states = Inbox()
    alice.connection.on(alices_states.add)
    status, answer = await revoke(emulator, {"targets": ["clientId:alice"]})
    assert (status, answer["successCount"], answer["failureCount"]) == (201, 1, 0)
    (result,) = answer["results"]
    assert result["target"] == "clientId:alice"
    assert result["issuedBefore"] <= result["appliesAt"] <= now_ms()
    disconnected, connecting, connected = await alices_states.wait_for_count(3)
    assert (disconnected.current, disconnected.reason.code) == ("disconnected", 40141)
    assert await refusal_of(alice_token.token, emulator) == (401, 40141)
    assert await refusal_of(bob_token.token, emulator) is None
    # alice's auth_callback gets a token issued after the revocation: it works.
    assert ([connecting.current, connected.current], bob.connection.state) == (["connecting", "connected"], "connected")


@REVOCABLE
async def test_a_reauth_margin_delays_the_revocation_by_30_seconds_and_issued_before_is_kept(emulator, clients):
    token = await clients.token("carol")
    before = now_ms() - 20 * 60 * 1000
    _, answer = await revoke(
        emulator, {"targets": ["clientId:carol"], "issuedBefore": before, "allowReauthMargin": True}
    )
    (result,) = answer["results"]
    assert result["issuedBefore"] == before
    assert result["appliesAt"] >= now_ms() + 29_000
    assert await refusal_of(token.token, emulator) is None


@REVOCABLE
async def test_tokens_issued_after_issued_before_are_not_revoked(emulator, clients):
    _, answer = await revoke(emulator, {"targets": ["clientId:dave"], "issuedBefore": now_ms() - 60_000})
    assert answer["successCount"] == 1
    assert await refusal_of((await clients.token("dave")).token, emulator) is None


@REVOCABLE
async def test_each_target_succeeds_or_fails_on_its_own(emulator):
    status, answer = await revoke(emulator, {"targets": ["clientId:erin", "invalidType:abc", "revocationKey:k1"]})
    results = answer["results"]
    assert (status, answer["successCount"], answer["failureCount"]) == (201, 2, 1)
    assert [r["target"] for r in results] == ["clientId:erin", "invalidType:abc", "revocationKey:k1"]
    assert (results[1]["error"]["statusCode"], "error" in results[0], "error" in results[2]) == (400, False, False)


@REVOCABLE
async def test_revoking_needs_basic_auth_with_the_key_that_issued_the_tokens(emulator, clients):
    token = base64.b64encode((await clients.token()).token.encode()).decode()
    with_token = await revoke(emulator, {"targets": ["clientId:x"]}, authorization=f"Bearer {token}")
    with_another_key = await revoke(emulator, {"targets": ["clientId:x"]}, key_name="fakeapp.otherkey")
    assert [(status, body["error"]["code"]) for status, body in (with_token, with_another_key)] == [
        (401, 40162),
        (401, 40133),
    ]


async def test_a_key_without_revocable_tokens_cannot_revoke_them(emulator):
    status, answer = await revoke(emulator, {"targets": ["clientId:x"]})
    assert (status, answer["error"]["code"]) == (401, 40163)


@REVOCABLE
async def test_a_malformed_body_is_refused_with_40000(emulator):
    status, answer = await revoke(emulator, {"targets": []})
    assert (status, answer["error"]["code"]) == (400, 40000)


def test_the_command_line_names_keys_with_revocable_tokens():
    args = build_parser().parse_args(["--revocable-key", "app.one", "--revocable-key", "app.two"])
    assert config_from(args).revocable_keys == ["app.one", "app.two"]


@REVOCABLE
async def test_a_jwt_is_revoked_by_its_client_id_or_its_revocation_key(emulator):
    issued = int(time.time()) - 1  # a second ago, so a revocation issued now covers it
    key_name, secret = FAKE_KEY.split(":")
    capability = json.dumps({"*": ["*"]})

    def jwt(**claims) -> str:
        return ably_jwt(
            key_name, secret, {"iat": issued, "exp": issued + 3600, "x-ably-capability": capability, **claims}
        )

    by_client, by_key, untouched = jwt(**{"x-ably-clientId": "frank"}), jwt(**{"x-ably-revocation-key": "k1"}), jwt()
    _, answer = await revoke(emulator, {"targets": ["clientId:frank", "revocationKey:k1"]})
    assert answer["successCount"] == 2
    refusals = [await refusal_of(token, emulator) for token in (by_client, by_key, untouched)]
    assert refusals == [(401, 40141), (401, 40141), None]
