"""`python -m devserver.vite_dev` (`make dev`): Vite's dev server for UI work, with a dev host behind it.

Vite serves site/ from source with hot reload. It keeps the page's requests and its hot-reload WebSocket and passes
the rest (the functions under /api/, ably-js's REST calls and WebSocket) to the dev host started here on a free
loopback port, which routes them by its own rule (vite.config.js reads its address from DEV_HOST_URL;
scripts/dev-host-proxy.mjs says what is Vite's). One command starts both; Ctrl-C or SIGTERM stops both. Arguments
go to Vite (e.g. `--port 3000`, `--host` to listen beyond loopback).
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys

from devserver.local_settings import LocalSettingsError
from devserver.open_files import raise_open_file_limit
from devserver.server import REPO_ROOT, DevServer, KeyMalformed, SiteNotBuilt

VITE = REPO_ROOT / "node_modules" / ".bin" / "vite"  # what `npm run dev` runs
DEV_HOST_URL = "DEV_HOST_URL"
STOP_TIMEOUT_SECONDS = 10.0


async def run(vite_args: list[str]) -> int:
    """Start the dev host, then Vite; return Vite's exit status once either stops (0 when stopped by a signal)."""
    server = DevServer(port=0, site_dir=REPO_ROOT / "site", check_key=True)
    try:
        await server.start()
    except (OSError, ImportError, LocalSettingsError, SiteNotBuilt, KeyMalformed) as exc:
        print(f"devserver: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        ably = "the emulator" if server.emulator is not None else f"Ably (ABLY_API_KEY from {server.key_source})"
        print(f"Dev host for /api and {ably}: {server.url} (Vite proxies to it; open Vite's URL)", flush=True)
        return await _run_vite(vite_args, server.url)
    finally:
        await server.stop()


async def _run_vite(vite_args: list[str], dev_host_url: str | None) -> int:
    """Run Vite in the foreground until it exits or a stop signal arrives (then stop it, bounded)."""
    env = {**os.environ, DEV_HOST_URL: dev_host_url or ""}
    try:
        vite = await asyncio.create_subprocess_exec(str(VITE), *vite_args, cwd=REPO_ROOT, env=env)
    except OSError as exc:
        print(f"devserver: cannot start Vite ({exc}): run `make setup`", file=sys.stderr, flush=True)
        return 1
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    exited = asyncio.ensure_future(vite.wait())
    stopped = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not exited.done():
        with contextlib.suppress(ProcessLookupError):
            vite.terminate()
        try:
            await asyncio.wait_for(exited, STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            vite.kill()
            await exited
    return 0 if stopping.is_set() else exited.result()


def main(argv: list[str] | None = None) -> int:
    """Run the dev host and Vite; return the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("emulator").setLevel(logging.WARNING)
    raise_open_file_limit()  # every page's WebSocket costs three sockets
    return asyncio.run(run(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
