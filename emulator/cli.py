"""Command line: parse options into an EmulatorConfig, start the emulator, print its URL, run until stopped."""

import argparse
import asyncio
import logging
import signal

from .app import Emulator
from .auth import ApiKey
from .config import EmulatorConfig

DEFAULTS = EmulatorConfig()
EPILOG = """\
Point an SDK at it (port 8081 here):
  ably-js      new Ably.Realtime({ key, endpoint: '127.0.0.1', port: 8081, tls: false,
                                   transports: ['web_socket'], disableConnectivityCheck: true })
  ably-python  AblyRest(key=KEY, endpoint="127.0.0.1", port=8081, tls=False, use_token_auth=True)
               AblyRealtime(auth_callback=..., endpoint="127.0.0.1:8081", tls=False)
Test controls (loopback clients only): /_emulator/connections, /_emulator/tokens/expire, /_emulator/stats
(with the rate limits' refusals).
Guide: docs/emulator.md."""


def _key(text: str) -> str:
    try:
        ApiKey.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A local Ably-protocol emulator (REST and WebSocket on one port) for the official SDKs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8081, help="port to listen on; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--key",
        action="append",
        type=_key,
        default=[],
        metavar="APPID.KEYID:SECRET",
        help="an API key to accept (repeatable); without one a fixed local development key is used and printed",
    )
    parser.add_argument(
        "--revoked-key",
        action="append",
        default=[],
        metavar="APPID.KEYID",
        help="the name of a key revoked in the account (repeatable): its requests are refused with 40131",
    )
    parser.add_argument(
        "--revocable-key",
        action="append",
        default=[],
        metavar="APPID.KEYID",
        help="the name of a key with revocable tokens (repeatable): POST /keys/{name}/revokeTokens works for it",
    )
    parser.add_argument(
        "--max-message-size",
        type=int,
        default=DEFAULTS.max_message_size,
        help="bytes per publish (default: %(default)s)",
    )
    parser.add_argument(
        "--max-frame-size",
        type=int,
        default=DEFAULTS.max_frame_size,
        help="bytes per WebSocket frame (default: %(default)s)",
    )
    parser.add_argument(
        "--max-messages-per-publish",
        type=int,
        default=DEFAULTS.max_messages_per_publish,
        help="messages per publish; more are refused with 40034; 0 = no limit (default: %(default)s)",
    )
    parser.add_argument(
        "--presence-members-max",
        type=int,
        default=DEFAULTS.presence_members_max,
        help="presence members per channel; one more is refused with 91003 (default: %(default)s)",
    )
    parser.add_argument(
        "--connection-state-ttl",
        type=float,
        default=DEFAULTS.connection_state_ttl,
        help="seconds a dropped connection may resume (default: %(default)s)",
    )
    parser.add_argument(
        "--max-idle-interval",
        type=float,
        default=DEFAULTS.max_idle_interval,
        help="seconds between heartbeats at most (default: %(default)s)",
    )
    parser.add_argument(
        "--presence-leave-timeout",
        type=float,
        default=DEFAULTS.presence_leave_timeout,
        help="seconds before a dropped connection's presence members leave (default: %(default)s)",
    )
    parser.add_argument(
        "--history-ttl",
        type=float,
        default=DEFAULTS.history_ttl,
        help="seconds messages are kept for history, rewind and resume (default: %(default)s)",
    )
    parser.add_argument(
        "--history-max",
        type=int,
        default=DEFAULTS.history_max,
        help="messages a channel keeps at most, whatever their age (default: %(default)s)",
    )
    parser.add_argument(
        "--history-max-bytes",
        type=int,
        default=DEFAULTS.history_max_bytes,
        help="bytes of messages a channel keeps at most (default: %(default)s)",
    )
    parser.add_argument(
        "--history-total-max",
        type=int,
        default=DEFAULTS.history_total_max,
        help="messages all channels keep together at most, oldest dropped first (default: %(default)s)",
    )
    parser.add_argument(
        "--history-total-max-bytes",
        type=int,
        default=DEFAULTS.history_total_max_bytes,
        help="bytes of messages all channels keep together at most (default: %(default)s)",
    )
    parser.add_argument(
        "--max-outbound-bytes",
        type=int,
        default=DEFAULTS.max_outbound_bytes,
        help="bytes queued for a client that does not read them before it is disconnected as a slow consumer "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rewind-max",
        type=int,
        default=DEFAULTS.rewind_max,
        help="most messages a rewind returns (default: %(default)s)",
    )
    parser.add_argument(
        "--max-connection-publish-rate",
        type=float,
        default=DEFAULTS.max_connection_publish_rate,
        help="messages a second one connection may publish, more are refused with 42911 (Ably: 50); 0 = no limit "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-channel-publish-rate",
        type=float,
        default=DEFAULTS.max_channel_publish_rate,
        help="messages a second one channel's publishers together may publish, more are refused with 42913 "
        "(Ably: 50); 0 = no limit (default: %(default)s)",
    )
    parser.add_argument(
        "--max-new-connection-rate",
        type=float,
        default=DEFAULTS.max_new_connection_rate,
        help="new realtime connections a second, more are refused with DISCONNECTED 80021 and retried by the client "
        "(Ably's Free plan: 42); 0 = no limit (default: %(default)s)",
    )
    parser.add_argument(
        "--token-ttl-default",
        type=float,
        default=DEFAULTS.token_ttl_default,
        help="seconds a token lives when its request names no ttl (default: %(default)s)",
    )
    parser.add_argument(
        "--reauth-before-expiry",
        type=float,
        default=DEFAULTS.reauth_before_expiry,
        help="send in-band AUTH this many seconds before a token expires; 0 = never (default: %(default)s)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="answer Ably's test-app API (POST /apps, DELETE /apps/ID) so the SDKs' own test suites can run",
    )
    parser.add_argument("--tls-cert", metavar="PEM", help="certificate file: also listen with TLS on --tls-port")
    parser.add_argument("--tls-key", metavar="PEM", help="private key file of --tls-cert")
    parser.add_argument(
        "--tls-port", type=int, default=DEFAULTS.tls_port, help="TLS port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity (default: %(default)s)",
    )
    return parser


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        keys=args.key,
        revoked_keys=args.revoked_key,
        revocable_keys=args.revocable_key,
        max_message_size=args.max_message_size,
        max_frame_size=args.max_frame_size,
        max_messages_per_publish=args.max_messages_per_publish,
        presence_members_max=args.presence_members_max,
        connection_state_ttl=args.connection_state_ttl,
        max_idle_interval=args.max_idle_interval,
        presence_leave_timeout=args.presence_leave_timeout,
        history_ttl=args.history_ttl,
        history_max=args.history_max,
        history_max_bytes=args.history_max_bytes,
        history_total_max=args.history_total_max,
        history_total_max_bytes=args.history_total_max_bytes,
        max_outbound_bytes=args.max_outbound_bytes,
        rewind_max=args.rewind_max,
        max_connection_publish_rate=args.max_connection_publish_rate,
        max_channel_publish_rate=args.max_channel_publish_rate,
        max_new_connection_rate=args.max_new_connection_rate,
        token_ttl_default=args.token_ttl_default,
        reauth_before_expiry=args.reauth_before_expiry,
        sandbox=args.sandbox,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_port=args.tls_port,
    )


async def serve(config: EmulatorConfig, host: str, port: int) -> None:
    emulator = Emulator(config)
    await emulator.start(host, port)
    print(f"Ably emulator listening on {emulator.url}", flush=True)
    if emulator.tls_port is not None:
        print(f"Ably emulator listening on {emulator.tls_url}", flush=True)
    if not config.keys:
        print(f"Local development key: {emulator.key}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(config_from(args), args.host, args.port))
    return 0
