"""A realtime client that connects and attaches, then never reads its socket again: a slow consumer at its worst.

It speaks just enough WebSocket (the upgrade, then masked client frames) over a bare socket with a small receive
buffer, so nothing on its side keeps reading: not aiohttp's reader, not asyncio's stream buffer.
"""

import asyncio
import base64
import json
import os
import socket
import struct
from urllib.parse import urlencode

RECEIVE_BUFFER = 4096


class NeverReader:
    def __init__(self, sock: socket.socket):
        self.sock = sock

    @classmethod
    async def connect(cls, host: str, port: int, token: str, channel: str) -> "NeverReader":
        """Connect with `token`, read the upgrade's answer, send ATTACH for `channel`, and read nothing more."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        query = urlencode({"access_token": token, "format": "json", "v": "6", "heartbeats": "true"})
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /?{query} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = await loop.sock_recv(sock, 1)  # byte by byte: stop reading exactly at the end of the headers
            if not chunk:
                raise ConnectionError(f"closed during the upgrade: {answer!r}")
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"upgrade refused: {answer!r}")
        reader = cls(sock)
        await reader.send({"action": 10, "channel": channel})
        return reader

    async def send(self, message: dict) -> None:
        """One masked text frame, as a client must send it."""
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        await asyncio.get_running_loop().sock_sendall(self.sock, header + mask + masked)

    def close(self) -> None:
        self.sock.close()
