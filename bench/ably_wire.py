"""Just enough of Ably's realtime protocol (JSON) to load the emulator from a benchmark.

The benchmark speaks the wire protocol directly instead of running 100 SDK instances, so that the client side
costs the same per frame for the emulator and for the bare broadcaster it is compared with. The frames are the
ones ably-js 2.x sends: a signed TokenRequest exchanged at ``POST /keys/{keyName}/requestToken``, then a
WebSocket with ``access_token`` and ``format=json``, ATTACH, and MESSAGE with a ``msgSerial``. The action numbers
and the MAC are the emulator's own (emulator/protocol.py, emulator/auth.py), so the two cannot drift apart.
"""

import json
import secrets
import time
from urllib.parse import urlencode

import aiohttp

from emulator.auth import sign
from emulator.protocol import Action

HANDSHAKE_TIMEOUT_SECONDS = 10.0


def signed_token_request(key: str, ttl_ms: int | None = None) -> dict:
    """A TokenRequest for ``key`` (``appId.keyId:secret``) with the key's capability, MAC as Ably computes it."""
    key_name, secret = key.split(":", 1)
    request: dict = {"keyName": key_name, "timestamp": int(time.time() * 1000), "nonce": secrets.token_hex(8)}
    if ttl_ms is not None:
        request["ttl"] = ttl_ms
    return {**request, "mac": sign(request, secret)}


async def request_token(session: aiohttp.ClientSession, base_url: str, key: str) -> str:
    """Exchange a signed TokenRequest for a token string."""
    token_request = signed_token_request(key)
    url = f"{base_url}/keys/{token_request['keyName']}/requestToken"
    async with session.post(url, json=token_request) as response:
        body = await response.json(content_type=None)
        if response.status >= 300:
            raise RuntimeError(f"requestToken answered {response.status}: {body}")
        return body["token"]


async def connect(session: aiohttp.ClientSession, ws_url: str, token: str) -> aiohttp.ClientWebSocketResponse:
    """Open a realtime connection and wait for CONNECTED."""
    query = urlencode({"access_token": token, "format": "json", "heartbeats": "false", "v": "6", "agent": "bench"})
    ws = await session.ws_connect(f"{ws_url}/?{query}", max_msg_size=0)
    frame = await _next_frame(ws)
    if frame.get("action") != Action.CONNECTED:
        await ws.close()
        raise RuntimeError(f"expected CONNECTED, got {frame}")
    return ws


async def attach(ws: aiohttp.ClientWebSocketResponse, channel: str) -> None:
    """Attach ``channel`` and wait for ATTACHED (ignoring heartbeats and anything else meanwhile)."""
    await ws.send_str(json.dumps({"action": Action.ATTACH, "channel": channel}))
    while True:
        frame = await _next_frame(ws)
        if frame.get("action") == Action.ATTACHED and frame.get("channel") == channel:
            return
        if frame.get("action") == Action.ERROR:
            raise RuntimeError(f"attach failed: {frame}")


def message_frame(channel: str, msg_serial: int, name: str, data: str) -> str:
    """A MESSAGE ProtocolMessage as ably-js sends it for ``channel.publish(name, data)``."""
    return json.dumps(
        {
            "action": Action.MESSAGE,
            "channel": channel,
            "msgSerial": msg_serial,
            "messages": [{"name": name, "data": data, "action": 0}],
        }
    )


async def _next_frame(ws: aiohttp.ClientWebSocketResponse) -> dict:
    message = await ws.receive(timeout=HANDSHAKE_TIMEOUT_SECONDS)
    if message.type is not aiohttp.WSMsgType.TEXT:
        raise RuntimeError(f"connection ended during the handshake: {message.type} {message.data}")
    return json.loads(message.data)
