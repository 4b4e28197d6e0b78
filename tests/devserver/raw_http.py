"""HTTP/1.1 requests written byte for byte, as no well-behaved client would send them: any request target
(`//x`, `%5F`, absolute form), any Host, duplicate headers. One request per connection.

`python -m tests.devserver.raw_http` reads a JSON list of requests on stdin and writes their answers as JSON,
so a client in another network namespace can send them (tests/devserver/lan_peer.py).
"""

import asyncio
import json
import sys
from dataclasses import asdict, dataclass

TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased; the last of repeated headers
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


async def send(
    host: str, port: int, method: str, target: str, headers: list[tuple[str, str]] = (), body: bytes = b""
) -> Answer:
    """Send one request exactly as given and read its answer.

    Host (the address connected to), Content-Length (with a body) and `Connection: close` are added unless
    `headers` name them.
    """
    named = {name.lower() for name, _ in headers}
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
        if "host" not in named:
            lines.append(f"Host: {host}:{port}")
        if body and "content-length" not in named:
            lines.append(f"Content-Length: {len(body)}")
        if "connection" not in named:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body)
        await writer.drain()
        return await asyncio.wait_for(read_answer(reader, method), TIMEOUT_SECONDS)
    finally:
        writer.close()


async def read_answer(reader: asyncio.StreamReader, method: str) -> Answer:
    """Read the status line and headers, then the body by its Content-Length (else to the end of the connection)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.removesuffix("\r\n\r\n").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split()[1])
    if method == "HEAD" or status in (101, 204, 304):
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
    return Answer(status, headers, body)


async def _send_all(requests: list[dict]) -> list[dict]:
    answers = []
    for request in requests:
        answer = await send(
            request["host"], request["port"], request["method"], request["target"], request.get("headers", [])
        )
        answers.append({**asdict(answer), "body": answer.body.decode("utf-8", "replace")})
    return answers


if __name__ == "__main__":
    json.dump(asyncio.run(_send_all(json.load(sys.stdin))), sys.stdout)
