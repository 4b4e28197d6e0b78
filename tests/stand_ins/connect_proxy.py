"""The stand-ins' route for Python clients: an HTTP CONNECT proxy (HTTPS_PROXY) that opens each tunnel where the
host rules say, so a child process such as `python -m p2p join` or the dev host's key check reaches "Ably" and the
site by their production names, unmodified. httpx (ably-python's REST, the peer's site calls) and websockets
(ably-python's realtime) both take the proxy from the environment; TLS runs end to end through the tunnel, with the
real name as SNI, so the certificate is checked as in production.

A name the rules do not map, and any address off this machine, gets 502: nothing leaves the machine.
"""

import asyncio
import contextlib
import ipaddress
import threading

from tests.stand_ins.host_rules import HostRules

_LOOPBACK = "127.0.0.1"


class ConnectProxy:
    """Tunnels to where `rules` send each name; `rules` may be replaced while it runs (a drill moves a name)."""

    def __init__(self, rules: HostRules) -> None:
        self.rules = rules
        self.tunnels: list[str] = []  # "host:port" of every tunnel asked for, in order
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="connect-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self.url: str | None = None

    def __enter__(self) -> "ConnectProxy":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._tunnel, _LOOPBACK, 0), self._loop
        ).result(timeout=10)
        self.url = f"http://{_LOOPBACK}:{self._server.sockets[0].getsockname()[1]}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            tunnels = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tunnels:
                task.cancel()
            await asyncio.gather(*tunnels, return_exceptions=True)  # each closes its sockets while the loop runs

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, authority, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            host, _, port = authority.rpartition(":")
            if method != "CONNECT" or not port.isdigit():
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
                return
            self.tunnels.append(authority)
            try:
                address, target_port = self.rules.target(host.strip("[]"), int(port))
                if not ipaddress.ip_address(address).is_loopback:
                    raise OSError(f"{address} is not on this machine")
                upstream_reader, upstream_writer = await asyncio.open_connection(address, target_port)
            except (OSError, ValueError) as exc:  # socket.gaierror is an OSError
                writer.write(f"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n{exc}\n".encode())
                return
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy bytes until the source ends, then end the sink's side (half-close, as TCP does)."""
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError):
            if sink.can_write_eof():
                sink.write_eof()
            else:
                sink.close()
