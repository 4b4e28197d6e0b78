"""`python -m devserver --emulator-presence-leave-timeout S --emulator-connection-state-ttl S`: short timings for tests.

The browser tests use them to watch a peer whose network died leave the roster, and a connection outlive its
state, in seconds rather than Ably's 15 s and 2 minutes.
"""

import asyncio
import json
import sys
import time

import aiohttp

from tests.devserver.conftest import REPO, SETTINGS
from tests.processes import start_server

ATTACH, ATTACHED, PRESENCE, CONNECTED = 10, 11, 14, 4
ENTER, LEAVE = 2, 3
WAIT = 10.0


async def connect(http: aiohttp.ClientSession, site: str, emulator: str) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    """Open a WebSocket to the emulator with a token the dev host's API issued, as the page does."""
    async with http.get(f"{site}/api/createTokenRequest?session=timings") as response:
        token_request = await response.json()
    async with http.post(f"{emulator}/keys/{token_request['keyName']}/requestToken", json=token_request) as response:
        token = await response.json()
    ws = await http.ws_connect(f"{emulator}/", params={"access_token": token["token"], "format": "json", "v": "6"})
    connected = json.loads((await ws.receive(timeout=WAIT)).data)
    assert connected["action"] == CONNECTED
    return ws, connected


async def next_action(ws: aiohttp.ClientWebSocketResponse, action: int) -> dict:
    while True:
        message = json.loads((await ws.receive(timeout=WAIT)).data)
        if message["action"] == action:
            return message


async def test_cli_emulator_timing_flags_shorten_the_connection_ttl_and_the_presence_leave_timeout():
    server = start_server(
        [sys.executable, "-m", "devserver", "--port", "0", "--emulator",
         "--emulator-presence-leave-timeout", "0.5", "--emulator-connection-state-ttl", "3"],
        cwd=str(REPO), env={name: "" for name in SETTINGS},
    )
    try:
        emulator = server.wait_for(r"^Emulator: (http://\S+)").group(1)
        site = server.wait_for(r"^Open (http://\S+)/$").group(1)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            leaving, connected = await connect(http, site, emulator)
            assert connected["connectionDetails"]["connectionStateTtl"] == 3000
            watching, _ = await connect(http, site, emulator)
            for ws in (leaving, watching):
                await ws.send_json({"action": ATTACH, "channel": "p2p:timings"})
                await next_action(ws, ATTACHED)
            await leaving.send_json({"action": PRESENCE, "channel": "p2p:timings", "msgSerial": 0,
                                     "presence": [{"action": ENTER, "data": "here"}]})
            entered = await next_action(watching, PRESENCE)
            assert [member["action"] for member in entered["presence"]] == [ENTER]

            await leaving.close()  # the network dies: no CLOSE, no presence leave from the client
            gone_at = time.monotonic()
            left = await asyncio.wait_for(next_action(watching, PRESENCE), WAIT)
            waited = time.monotonic() - gone_at
            assert [member["action"] for member in left["presence"]] == [LEAVE]
            assert 0.4 <= waited < 3, f"left after {waited:.2f}s with a 0.5s presence timeout"
            await watching.close()
    finally:
        assert server.stop() == 0
