"""`python -m devserver --emulator-presence-leave-timeout S --emulator-connection-state-ttl S --emulator-history-ttl S`.

The browser tests use these short timings to watch a peer whose network died leave the roster, a connection
outlive its state, and a late joiner find no history to rewind, in seconds rather than Ably's 15 s and 2 minutes.
"""

import asyncio
import base64
import json
import sys
import time

import aiohttp

from tests.devserver.conftest import REPO, SETTINGS
from tests.processes import start_server

ATTACH, ATTACHED, PRESENCE, CONNECTED, MESSAGE, ACK = 10, 11, 14, 4, 15, 1
ENTER, LEAVE = 2, 3
WAIT = 10.0


async def token(http: aiohttp.ClientSession, site: str, emulator: str) -> str:
    """A token for session `timings`, obtained as the page does: a TokenRequest from the dev host's API."""
    async with http.get(f"{site}/api/createTokenRequest?session=timings") as response:
        token_request = await response.json()
    async with http.post(f"{emulator}/keys/{token_request['keyName']}/requestToken", json=token_request) as response:
        return (await response.json())["token"]


async def connect(
    http: aiohttp.ClientSession, site: str, emulator: str
) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    """Open a WebSocket to the emulator with a token the dev host's API issued."""
    access_token = await token(http, site, emulator)
    ws = await http.ws_connect(f"{emulator}/", params={"access_token": access_token, "format": "json", "v": "6"})
    connected = json.loads((await ws.receive(timeout=WAIT)).data)
    assert connected["action"] == CONNECTED
    return ws, connected


async def next_action(ws: aiohttp.ClientWebSocketResponse, action: int) -> dict:
    while True:
        message = json.loads((await ws.receive(timeout=WAIT)).data)
        if message["action"] == action:
            return message


async def history(http: aiohttp.ClientSession, site: str, emulator: str) -> list:
    bearer = base64.b64encode((await token(http, site, emulator)).encode()).decode()
    async with http.get(
        f"{emulator}/channels/p2p:timings/messages", headers={"Authorization": f"Bearer {bearer}"}
    ) as response:
        return await response.json()


async def test_cli_emulator_timing_flags_shorten_the_connection_ttl_and_the_presence_leave_timeout():
    server = start_server(
        [
            sys.executable,
            "-m",
            "devserver",
            "--port",
            "0",
            "--emulator",
            "--emulator-presence-leave-timeout",
            "0.5",
            "--emulator-connection-state-ttl",
            "3",
        ],
        cwd=str(REPO),
        env=dict.fromkeys(SETTINGS, ""),
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
            await leaving.send_json(
                {
                    "action": PRESENCE,
                    "channel": "p2p:timings",
                    "msgSerial": 0,
                    "presence": [{"action": ENTER, "data": "here"}],
                }
            )
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


async def test_cli_emulator_history_ttl_flag_forgets_messages_after_that_long():
    server = start_server(
        [sys.executable, "-m", "devserver", "--port", "0", "--emulator", "--emulator-history-ttl", "1"],
        cwd=str(REPO),
        env=dict.fromkeys(SETTINGS, ""),
    )
    try:
        emulator = server.wait_for(r"^Emulator: (http://\S+)").group(1)
        site = server.wait_for(r"^Open (http://\S+)/$").group(1)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            ws, _ = await connect(http, site, emulator)
            await ws.send_json(
                {
                    "action": MESSAGE,
                    "channel": "p2p:timings",
                    "msgSerial": 0,
                    "messages": [{"name": "word", "data": "kept for a second"}],
                }
            )
            await next_action(ws, ACK)
            published_at = time.monotonic()
            assert [message["data"] for message in await history(http, site, emulator)] == ["kept for a second"]

            while await history(http, site, emulator):
                assert time.monotonic() - published_at < 5, "history still holds the message 5 s after a 1 s TTL"
                await asyncio.sleep(0.1)
            assert time.monotonic() - published_at >= 0.9
            await ws.close()
    finally:
        assert server.stop() == 0
