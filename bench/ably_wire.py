"""Just enough of Ably's realtime protocol to load the emulator without an SDK per connection: a TokenRequest
exchanged at ``POST /keys/{keyName}/requestToken``, a WebSocket with ``access_token`` and ``format=json``, and the
JSON frames ably-js 2 sends. The action numbers and the MAC are the emulator's own, so the two cannot drift apart."""

import json
import secrets
import time
from urllib.parse import urlencode

import aiohttp

from emulator.auth import sign
from emulator.protocol import Action

REST = {"X-Ably-Version": "2"}  # what ably-js sends on every REST call (the dev host routes by it)
WebSocket = aiohttp.ClientWebSocketResponse


def signed_token_request(key: str) -> dict:
    """A TokenRequest for ``key`` (``appId.keyId:secret``) with the key's capability, signed as Ably signs it."""
    key_name, secret = key.split(":", 1)
    request = {"keyName": key_name, "timestamp": int(time.time() * 1000), "nonce": secrets.token_hex(8)}
    return {**request, "mac": sign(request, secret)}


async def connect(http: aiohttp.ClientSession, base: str, token_request: dict) -> WebSocket:
    """A realtime connection at ``base`` (``http://host:port``) once CONNECTED, its token exchanged for a TokenRequest
    (signed here, or by the site's API) as ably-js does."""
    url = f"{base}/keys/{token_request['keyName']}/requestToken"
    async with http.post(url, json=token_request, headers=REST) as response:
        if response.status >= 300:
            raise RuntimeError(f"requestToken answered {response.status}: {await response.text()}")
        token = (await response.json())["token"]
    query = urlencode({"access_token": token, "format": "json", "v": "6", "heartbeats": "false"})
    ws = await http.ws_connect(f"ws{base.removeprefix('http')}/?{query}", max_msg_size=0)
    await next_frame(ws, Action.CONNECTED)
    return ws


async def send(ws: WebSocket, action: Action, **fields) -> None:
    await ws.send_str(json.dumps({"action": action, **fields}))


async def next_frame(ws: WebSocket, *actions: Action) -> dict:
    """The next frame with one of ``actions``, skipping others; a NACK or ERROR not asked for raises."""
    while True:
        message = await ws.receive(timeout=60)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"the connection ended waiting for {actions}: {message.type} {message.data}")
        if (frame := json.loads(message.data))["action"] in actions:
            return frame
        if frame["action"] in (Action.NACK, Action.ERROR):
            raise RuntimeError(f"refused: {frame}")


async def attach(ws: WebSocket, channel: str) -> None:
    await send(ws, Action.ATTACH, channel=channel)
    await next_frame(ws, Action.ATTACHED)


async def publish(ws: WebSocket, frames, window: int) -> int:
    """Publish each ``(channel, messages)`` as one MESSAGE frame, at most ``window`` awaiting their ACK; frames sent."""
    sent = acked = 0
    for channel, messages in frames:
        await send(ws, Action.MESSAGE, channel=channel, msgSerial=sent, messages=messages)
        sent += 1
        while sent - acked >= window:
            acked += (await next_frame(ws, Action.ACK))["count"]
    while acked < sent:
        acked += (await next_frame(ws, Action.ACK))["count"]
    return sent


async def close(ws: WebSocket) -> None:
    """CLOSE as ``client.close()`` does, so the emulator forgets the connection at once; wait for the socket's end."""
    await send(ws, Action.CLOSE)
    while (await ws.receive(timeout=60)).type is aiohttp.WSMsgType.TEXT:
        pass
    await ws.close()
