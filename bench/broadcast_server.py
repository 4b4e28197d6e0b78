"""The baseline for the fan-out benchmark: a bare aiohttp WebSocket broadcaster.

Every text frame a client sends is relayed, byte for byte, to every other connected client. No protocol, no
auth, no history: it is the practical limit of an aiohttp server doing the same fan-out, measured in the same
run as the emulator. ``python -m bench.broadcast_server --port 0`` prints
``Broadcast server listening on http://HOST:PORT`` when ready.
"""

import argparse
import asyncio
import contextlib

from aiohttp import WSMsgType, web

CLIENTS = web.AppKey("clients", set)


async def broadcast(request: web.Request) -> web.WebSocketResponse:
    """Relay each text frame from this client to all the others."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    clients: set[web.WebSocketResponse] = request.app[CLIENTS]
    clients.add(ws)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                for client in list(clients):
                    if client is not ws and not client.closed:
                        await client.send_str(message.data)
    finally:
        clients.discard(ws)
    return ws


def make_app() -> web.Application:
    app = web.Application()
    app[CLIENTS] = set()
    app.router.add_get("/", broadcast)
    return app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    print(f"Broadcast server listening on http://{host}:{bound_port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
