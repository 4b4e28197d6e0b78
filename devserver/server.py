"""The dev host as one object: the site, the functions and (unless a real key is configured) the emulator."""

import asyncio
import contextlib
import errno
import functools
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from devserver.emulator_proxy import EmulatorProxy, is_for_emulator
from devserver.forwarded import browser_origin, trust_local_proxy
from devserver.functions_host import MAX_BODY_BYTES, ROUTE_PREFIX, FunctionsHost, load_http_functions
from devserver.local_settings import missing_from, read_values
from devserver.network import local_host, shareable_hosts
from devserver.request_body import BODY_TIMEOUT_SECONDS
from devserver.static_site import StaticSite
from devserver.swa_config import SwaConfig, load_swa_config

if TYPE_CHECKING:
    from types import ModuleType

    from emulator import Emulator

REPO_ROOT = Path(__file__).resolve().parent.parent
# Where `npm run build` (Vite) writes the production site, relative to the app root.
BUILT_SITE = Path("dist") / "site"
# The Functions app's local settings (Core Tools' file), beside function_app.py.
LOCAL_SETTINGS = "local.settings.json"
DEFAULT_PORT = 4280  # the SWA CLI's, so the site is where its users expect it
# How long a client may take to send a request's headers (and to start the next one on a kept-alive connection).
HEADER_TIMEOUT_SECONDS = 10.0
# A global header browsers ignore outside a secure context, where Chromium logs an error for it (the one difference
# from SWA, which serves https only: see docs/architecture.md, "The dev host").
OPENER_POLICY = "cross-origin-opener-policy"


def create_app(site: StaticSite, api: FunctionsHost, emulator: EmulatorProxy | None = None) -> web.Application:
    """Route /api/* to the functions, ably-js's requests to the emulator and the rest to the static site.

    Every response outside /api/ carries the config's global headers, errors aiohttp raises included
    (SWA applies globalHeaders to every response but the API's), but Cross-Origin-Opener-Policy only for a page
    in a secure context (not plain http on a LAN address).
    """
    middlewares = [trust_local_proxy] if emulator is None else [trust_local_proxy, _emulator_first(emulator)]
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", ROUTE_PREFIX + "{tail:.*}", api.handle)
    app.router.add_route("*", "/{tail:.*}", site.handle)
    app.on_response_prepare.append(_global_headers(site.config))
    return app


def _emulator_first(emulator: EmulatorProxy):
    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        return await (emulator.handle if is_for_emulator(request) else handler)(request)

    return middleware


def _is_secure_context(scheme: str, host: str) -> bool:
    """Whether a browser treats a page from `scheme`://`host` (a Host header: name or address, optional port) as a
    secure context: https, or plain http on a host only this machine opens (the W3C's "potentially trustworthy
    origin"; api.settings' rule). Plain http on a LAN address is not."""
    if scheme == "https":
        return True
    name = (URL.build(scheme="http", authority=host).host or "").rstrip(".").lower()
    return _api_settings().is_loopback_host(name)


def _global_headers(config: SwaConfig):
    async def add(request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith(ROUTE_PREFIX):
            return
        try:
            secure = _is_secure_context(*browser_origin(request))
        except web.HTTPBadRequest:  # this response is that 400: no page will load from it
            secure = True
        for name, value in config.global_headers.items():
            if secure or name.lower() != OPENER_POLICY:
                response.headers.setdefault(name, value)

    return add


def new_local_key() -> str:
    """Return a throwaway key for the emulator: it exists only for this run and only on this machine."""
    return f"local.devserver:local-{secrets.token_urlsafe(24)}"


class SiteNotBuilt(Exception):
    """The folder to serve has no index.html: the site was not built (or was built elsewhere)."""


class KeyMalformed(Exception):
    """The real ABLY_API_KEY configured is not shaped like an Ably key: every token request would fail."""


class PortInUse(Exception):
    """Another program (often another dev host) listens on the port asked for: say how to choose another."""

    def __init__(self, port: int, option: str, example: str) -> None:
        super().__init__(f"port {port} is in use by another program: choose another with {option}, e.g. {example}")


async def _listen(start, port: int, option: str, example: str) -> None:
    """Run a server's start(); a port in use becomes PortInUse, naming the option that sets it."""
    try:
        await start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(port, option, example) from None
        raise


async def _log_key_check(settings: Mapping[str, str]) -> None:
    """Ask Ably about the key and log the verdict's line. Imported only now, once the Functions app is loaded: see
    devserver/ably_check.py."""
    from devserver.ably_check import log_verdict

    await log_verdict(settings)


def _api_settings() -> "ModuleType":
    """The hosted app's api.settings: the names of its settings, their rules and how a host hands them over.

    Imported only once the Functions app is loaded, so that an app hosted from elsewhere (--api, the staged one)
    has imported its own `api` package first: imported before, this repository's would be the one it runs.
    """
    from api import settings

    return settings


class DevServer:
    """Serve the built site (`dist/site/`) and the Functions app on one origin, with the emulator unless
    ABLY_API_KEY is configured.

    `api_dir` is the Functions app to host (default `app_root`; the rehearsal passes the staged one).
    `force_emulator` starts the emulator even when a real key is configured (the browser tests use it).
    `emulator_settings` overrides EmulatorConfig fields, e.g. `{"presence_leave_timeout": 1.0}` for tests.
    The emulator listens on loopback (`emulator_port`, for its test controls) and is proxied on `port`.
    `lan` listens on every interface; `public_url` (a tunnel's https address) is what invite links use,
    else the first LAN address when listening beyond loopback; see `share_url`.
    `check_key`: with a real key, ask Ably about it once listening, without waiting, and log the verdict's one line
    (devserver/ably_check.py); `python -m devserver` and `make dev` do.

    `environ` is where the app's settings come from, as the Functions host takes them from its process environment
    (default os.environ, read at start); local.settings.json's Values fill the names it lacks, as Core Tools does.
    The process environment is never written: `settings` (set by `start()`) is what the functions read, the
    emulator's key and address or SHARE_ORIGIN included, handed to them per request (api.settings.hosted), so
    dev hosts with different settings can share one process.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        emulator_port: int = 0,
        app_root: Path = REPO_ROOT,
        site_dir: Path | None = None,
        api_dir: Path | None = None,
        config_path: Path | None = None,
        local_settings_path: Path | None = None,
        force_emulator: bool = False,
        emulator_settings: dict[str, Any] | None = None,
        lan: bool = False,
        public_url: str | None = None,
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
        body_timeout: float = BODY_TIMEOUT_SECONDS,
        check_key: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.host = "0.0.0.0" if lan and host == "127.0.0.1" else host
        self.public_url = public_url.rstrip("/") if public_url else None
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.lan_urls: list[str] = []
        self.share_url: str | None = None
        self._proxy: EmulatorProxy | None = None
        self.port = port
        self.emulator_port = emulator_port
        self.app_root = app_root
        self.site_dir = site_dir or app_root / BUILT_SITE
        self.api_dir = api_dir or app_root
        self.config_path = config_path or app_root / "staticwebapp.config.json"
        self.local_settings_path = local_settings_path or app_root / LOCAL_SETTINGS
        self.force_emulator = force_emulator
        self.emulator_settings = dict(emulator_settings or {})
        self.url: str | None = None
        self.emulator: Emulator | None = None
        self.key_source: str | None = None
        self._runner: web.AppRunner | None = None
        self.environ = environ
        self.settings: dict[str, str] = {}
        self.check_key = check_key
        self._key_check: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the emulator (unless a real key is configured), then listen; `url` is set when this returns."""
        try:
            if not (self.site_dir / "index.html").is_file():
                raise SiteNotBuilt(f"no site in {self.site_dir} (no index.html): run `npm run build` or `make run`")
            functions = load_http_functions(self.api_dir)
            names = _api_settings()
            config = load_swa_config(self.config_path)
            environ = dict(os.environ if self.environ is None else self.environ)
            local_values = missing_from(environ, read_values(self.local_settings_path))
            self.settings = {**environ, **local_values}
            self.key_source = None if self.force_emulator else self._real_key_source(environ, local_values)
            if self.key_source is None:
                key = await self._start_emulator()
                self.settings |= {names.API_KEY: key, names.ENDPOINT_URL: names.SAME_ORIGIN}
            else:
                self._refuse_malformed_key()
            functions_host = FunctionsHost(functions, self.body_timeout, functools.partial(names.hosted, self.settings))
            app = create_app(StaticSite(self.site_dir, config), functions_host, self._proxy)
            # aiohttp closes a connection whose request has not fully arrived within keepalive_timeout, and, after
            # answering without reading a whole body (405, 408, 413), reads and drops the rest for lingering_time.
            self._runner = web.AppRunner(
                app, keepalive_timeout=self.header_timeout, lingering_time=self.body_timeout, shutdown_timeout=2.0
            )
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            other = self.port + 1 if self.port < 65535 else DEFAULT_PORT
            await _listen(
                site.start, self.port, "--port", f"`make run PORT={other}` or `python -m devserver --port {other}`"
            )
            bound_port = self._runner.addresses[0][1]
            self.url = str(URL.build(scheme="http", host=local_host(self.host), port=bound_port))
            self.lan_urls = [
                str(URL.build(scheme="http", host=ip, port=bound_port)) for ip in shareable_hosts(self.host)
            ]
            self.share_url = self.public_url or next(iter(self.lan_urls), None)
            if self.share_url:
                self.settings[names.SHARE_ORIGIN] = self.share_url
            if self.check_key and self.key_source is not None:
                self._key_check = asyncio.create_task(_log_key_check(self.settings))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop listening and stop the emulator. Safe to call twice."""
        if self._key_check is not None:
            self._key_check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._key_check
            self._key_check = None
        if self._proxy is not None:  # first, or the runner would wait for the pages' WebSockets to end
            await self._proxy.stop()
            self._proxy = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.emulator is not None:
            await self.emulator.stop()
            self.emulator = None

    async def __aenter__(self) -> "DevServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _real_key_source(self, environ: Mapping[str, str], local_values: Mapping[str, str]) -> str | None:
        """Return where a real ABLY_API_KEY comes from ("environment" or the settings file), or None."""
        name = _api_settings().API_KEY
        if environ.get(name, "").strip():
            return "environment"
        if local_values.get(name, "").strip():
            return self.local_settings_path.name
        return None

    def _refuse_malformed_key(self) -> None:
        """Raise KeyMalformed unless the key passes the API's own rule (api.settings.api_key)."""
        from api.errors import ApiError  # as _api_settings: once the Functions app is loaded

        try:
            _api_settings().api_key(self.settings)
        except ApiError as error:
            where = "the environment" if self.key_source == "environment" else self.key_source
            raise KeyMalformed(f"{error.message} It is set in {where}.") from None

    async def _start_emulator(self) -> str:
        """Start the emulator on loopback with a fresh local key, and its proxy; return the key."""
        from emulator import Emulator, EmulatorConfig

        key = new_local_key()
        emulator = self.emulator = Emulator(EmulatorConfig(keys=[key], **self.emulator_settings))
        await _listen(
            lambda: emulator.start(host="127.0.0.1", port=self.emulator_port),
            self.emulator_port,
            "--emulator-port",
            "`--emulator-port 0` (any free port)",
        )
        self._proxy = EmulatorProxy(emulator.url, emulator.config.max_frame_size, self.body_timeout)
        await self._proxy.start()
        return key
