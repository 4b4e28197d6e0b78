"""A TLS-terminating reverse proxy in front of the dev host, as a tunnel or Codespaces port forwarding would be.

It listens with https on loopback (a throwaway self-signed certificate made by the `openssl` command), passes
every request, WebSocket upgrades included, to the dev host over plain http, and says what the browser used
with X-Forwarded-Proto and X-Forwarded-Host. Runs on its own thread, so synchronous Playwright tests can use it.
"""

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

from devserver.emulator_proxy import EmulatorProxy


class _ForwardingProxy(EmulatorProxy):
    def upstream_headers(self, request: web.BaseRequest, drop: tuple[str, ...] = ()) -> dict[str, str]:
        return {
            **super().upstream_headers(request, drop),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": request.host,
        }


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day; returns (certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("the openssl command is needed to make a throwaway certificate")
    cert, key = folder / "proxy-cert.pem", folder / "proxy-key.pem"
    request = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    names = ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        [*request, *names, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30
    )
    return cert, key


@contextmanager
def tls_proxy(upstream: str, folder: Path) -> Iterator[str]:
    """Run the proxy for `upstream` (the dev host's http URL) and yield its https URL."""
    cert, key = throwaway_certificate(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    loop = asyncio.new_event_loop()
    proxy = _ForwardingProxy(upstream)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)  # pages may still hold WebSockets

    async def start() -> str:
        await proxy.start()
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls).start()
        return f"https://127.0.0.1:{runner.addresses[0][1]}"

    async def stop() -> None:
        await runner.cleanup()
        await proxy.stop()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
