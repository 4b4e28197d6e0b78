"""Dev hosts take their settings explicitly: several run in one process, each serving its own Ably settings."""

import aiohttp
from yarl import URL

from devserver import DevServer
from tests.devserver.conftest import FAKE_REAL_KEY, dev_server, environ_snapshot

ABLY_REST = {"X-Ably-Version": "5"}


async def token_request(http: aiohttp.ClientSession, host: DevServer) -> dict:
    async with http.get(host.url + "/api/createTokenRequest?session=abc") as response:
        return await response.json()


async def client_config(http: aiohttp.ClientSession, host: DevServer) -> dict:
    async with http.get(host.url + "/api/clientConfig") as response:
        return await response.json()


async def ably_accepts(http: aiohttp.ClientSession, host: DevServer, signed: dict) -> bool:
    """Whether the Ably that `host` serves (its emulator) gives a token for the signed token request."""
    url = f"{host.url}/keys/{signed['keyName']}/requestToken"
    async with http.post(url, json=signed, headers=ABLY_REST) as response:
        return response.status == 200


async def test_two_emulator_hosts_and_a_real_key_host_in_one_process_each_serve_their_own_settings(
    http, site_dir, clean_settings
):
    before = environ_snapshot()
    real_settings = {"ABLY_API_KEY": FAKE_REAL_KEY, "ABLY_TOKEN_TTL_SECONDS": "60"}
    async with (
        dev_server(site_dir, clean_settings) as first,
        dev_server(site_dir, clean_settings) as second,
        dev_server(site_dir, clean_settings, environ=real_settings) as real,
    ):
        assert environ_snapshot() == before  # nothing was written to the process environment
        assert real.emulator is None

        # Each emulator host sends ably-js to its own origin, and signs with its own emulator's key.
        for host in (first, second):
            assert (await client_config(http, host))["port"] == URL(host.url).port
        first_signed, second_signed = await token_request(http, first), await token_request(http, second)
        assert await ably_accepts(http, first, first_signed)
        assert await ably_accepts(http, second, second_signed)
        assert not await ably_accepts(http, first, second_signed)
        assert not await ably_accepts(http, second, first_signed)

        # The real-key host sends ably-js to Ably and signs with its key, for its token lifetime.
        assert await client_config(http, real) == {}
        real_signed = await token_request(http, real)
        assert (real_signed["keyName"], real_signed["ttl"]) == (FAKE_REAL_KEY.split(":")[0], 60_000)
        assert first_signed["ttl"] == 3_600_000
    assert environ_snapshot() == before
