"""A key revoked in the account (`revoked_keys`) is refused wherever it is used, with Ably's 40131."""

import base64

import aiohttp
import pytest
from ably import AblyRest
from ably.util.exceptions import AblyException

from emulator.cli import build_parser, config_from

from .conftest import FAKE_KEY

KEY_NAME = FAKE_KEY.split(":")[0]
REVOKED = ((40131, 401), "Key/token status changed (revoke)")


def rest_client(emulator) -> AblyRest:
    return AblyRest(key=FAKE_KEY, endpoint="127.0.0.1", port=emulator.port, tls=False)


@pytest.mark.emulator_config(revoked_keys=[KEY_NAME])
async def test_a_token_request_signed_with_a_revoked_key_is_refused_with_40131(emulator):
    rest = rest_client(emulator)
    try:
        with pytest.raises(AblyException) as refused:
            await rest.auth.request_token()
    finally:
        await rest.close()
    assert ((refused.value.code, refused.value.status_code), refused.value.message) == REVOKED


@pytest.mark.emulator_config(revoked_keys=[KEY_NAME])
async def test_basic_auth_with_a_revoked_key_is_refused_with_40131(emulator):
    basic = base64.b64encode(FAKE_KEY.encode()).decode()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.url}/channels/p2p:x/messages", headers={"Authorization": f"Basic {basic}"}) as answer,
    ):
        error = (await answer.json())["error"]
    assert ((error["code"], answer.status), error["message"]) == REVOKED


@pytest.mark.emulator_config(revoked_keys=["fakeapp.otherkey"])
async def test_the_accounts_other_keys_still_work(emulator):
    rest = rest_client(emulator)
    try:
        assert (await rest.auth.request_token()).token
    finally:
        await rest.close()


def test_the_command_line_names_revoked_keys():
    args = build_parser().parse_args(["--revoked-key", "app.one", "--revoked-key", "app.two"])
    assert config_from(args).revoked_keys == ["app.one", "app.two"]
