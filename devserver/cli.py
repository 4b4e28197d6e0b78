"""`python -m devserver`: run the dev host until Ctrl-C or SIGTERM, printing where to open it."""

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from yarl import URL

from devserver.local_settings import LocalSettingsError, missing_from, read_values
from devserver.open_files import raise_open_file_limit
from devserver.server import DEFAULT_PORT, LOCAL_SETTINGS, REPO_ROOT, DevServer, KeyMalformed, PortInUse, SiteNotBuilt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devserver",
        description="Serve the built site (dist/site, made by `npm run build`) as Azure Static Web Apps would, "
        "host the Functions app in-process and, unless ABLY_API_KEY is set (environment or local.settings.json), "
        "start the Ably emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--lan",
        action="store_true",
        help="listen on every interface so friends on your network can join; prints the LAN URLs",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        type=_origin,
        help="the https:// address of a tunnel to this port (dev tunnels, ngrok...): invite links use it",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port for the site and /api (default {DEFAULT_PORT}; 0 = any free port); `make run PORT=N` passes it",
    )
    parser.add_argument(
        "--site",
        metavar="DIR",
        type=Path,
        help="the folder to serve (default dist/site, the build of site/ that `npm run build` writes)",
    )
    parser.add_argument(
        "--api",
        metavar="DIR",
        type=Path,
        help="the Functions app to host, a folder with function_app.py (default: this repository; "
        "scripts/stage_api.sh stages the deployed one into dist/api)",
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=0,
        help="loopback port where the emulator also answers, with its test controls (default 0 = any free port); "
        "browsers reach it on --port",
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="use the emulator even if ABLY_API_KEY is set in the environment or local.settings.json",
    )
    parser.add_argument(
        "--check-ably",
        action="store_true",
        help="serve nothing: ask Ably for its time and a token with ABLY_API_KEY (environment or "
        "local.settings.json), say in one line whether the key works and covers what the site needs; "
        "exit status 0 if it does, 1 if not",
    )
    timings = parser.add_argument_group(
        "emulator timings", "shorter than Ably's, so tests can watch a peer time out or a connection expire quickly"
    )
    timings.add_argument(
        "--emulator-presence-leave-timeout",
        type=float,
        metavar="SECONDS",
        help="presence members of a dropped connection leave after this long (Ably: 15)",
    )
    timings.add_argument(
        "--emulator-connection-state-ttl",
        type=float,
        metavar="SECONDS",
        help="how long a dropped connection may resume (Ably: 120)",
    )
    timings.add_argument(
        "--emulator-history-ttl",
        type=float,
        metavar="SECONDS",
        help="how long messages are kept for history, rewind and resume (default: 120)",
    )
    parser.add_argument(
        "--emulator-presence-limit",
        type=int,
        metavar="MEMBERS",
        help="presence members per channel before the emulator refuses an enter with 91003 (Ably: 200)",
    )
    return parser.parse_args(argv)


def _origin(text: str) -> str:
    """An http(s) origin with no path, as --public-url takes it."""
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/") or url.query_string:
        raise argparse.ArgumentTypeError("expected an origin such as https://example.devtunnels.ms")
    return str(url.origin())


def emulator_settings(args: argparse.Namespace) -> dict[str, float]:
    """The EmulatorConfig fields the command line overrides."""
    given = {
        "presence_leave_timeout": args.emulator_presence_leave_timeout,
        "connection_state_ttl": args.emulator_connection_state_ttl,
        "history_ttl": args.emulator_history_ttl,
        "presence_members_max": args.emulator_presence_limit,
    }
    return {name: value for name, value in given.items() if value is not None}


async def serve(args: argparse.Namespace) -> int:
    """Start the dev host, print its addresses (the Open line last), and wait for a stop signal."""
    server = DevServer(
        host=args.host,
        port=args.port,
        site_dir=args.site,
        api_dir=args.api,
        emulator_port=args.emulator_port,
        force_emulator=args.emulator,
        emulator_settings=emulator_settings(args),
        lan=args.lan,
        public_url=args.public_url,
        check_key=True,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await server.start()
    except (OSError, ImportError, LocalSettingsError, SiteNotBuilt, KeyMalformed, PortInUse) as exc:
        print(f"devserver: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        if server.emulator is not None:
            print(f"Emulator: {server.emulator.url} (its controls; pages reach it on the dev host's port)", flush=True)
        else:
            print(f"Ably: the real service, with ABLY_API_KEY from {server.key_source}", flush=True)
        for lan_url in server.lan_urls:
            print(f"On your network: {lan_url}/", flush=True)
        if server.public_url:
            print(f"Public: {server.public_url}/", flush=True)
        if server.share_url:
            print(f"Invite links use {server.share_url}", flush=True)
        print(f"Open {server.url}/", flush=True)
        await stopping.wait()
    finally:
        await server.stop()
    return 0


async def check_ably_key(local_settings: Path) -> int:
    """`--check-ably`: print the key check's one line (stdout when the key works, else stderr); 0 when it works."""
    from devserver.ably_check import PREFIX, check_ably

    try:
        environ = {**os.environ, **missing_from(os.environ, read_values(local_settings))}
    except LocalSettingsError as exc:
        print(f"{PREFIX}{exc}", file=sys.stderr, flush=True)
        return 1
    verdict = await check_ably(environ)
    print(verdict.line, file=sys.stdout if verdict.works else sys.stderr, flush=True)
    return 0 if verdict.works else 1


def main(argv: list[str] | None = None) -> int:
    """Run the dev host; return the process exit status."""
    args = parse_args(argv)
    if args.check_ably:
        return asyncio.run(check_ably_key(REPO_ROOT / LOCAL_SETTINGS))
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    # The dev host prints the emulator's URL itself; keep the emulator's warnings (bad input), not its chatter.
    logging.getLogger("emulator").setLevel(logging.WARNING)
    # The key check says in one line what failed: not ably-python's traceback of each error it wraps, nor httpx's
    # line per request.
    logging.getLogger("ably.util.exceptions").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    raise_open_file_limit()  # every page's WebSocket costs three sockets
    return asyncio.run(serve(args))
