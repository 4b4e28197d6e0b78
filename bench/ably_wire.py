"""Just enough of Ably's realtime protocol to load the emulator without an SDK per connection: the JSON frames ably-js
2 sends, with the emulator's own action numbers, so the two cannot drift apart."""

import json

import aiohttp

from emulator.protocol import Action

REST = {"X-Ably-Version": "2"}  # what ably-js sends on every REST call (the dev host routes by it)
WebSocket = aiohttp.ClientWebSocketResponse


async def token(http: aiohttp.ClientSession, base: str, token_request: dict) -> str:
    """A token for a TokenRequest (such as the site's API signs), exchanged at ``base`` (``http://host:port``)."""
    url = f"{base}/keys/{token_request['keyName']}/requestToken"
    async with http.post(url, json=token_request, headers=REST) as response:
        response.raise_for_status()
        return (await response.json())["token"]


async def connect(http: aiohttp.ClientSession, base: str, **credentials: str) -> WebSocket:
    """A realtime connection at ``base`` once CONNECTED; ``credentials``: ``access_token=`` or ``key=``."""
    query = {"format": "json", "v": "6", "heartbeats": "false", **credentials}
    ws = await http.ws_connect(f"ws{base.removeprefix('http')}/", params=query, max_msg_size=0)
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
