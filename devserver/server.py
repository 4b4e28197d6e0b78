"""The dev host as one object: the site, the functions and (unless a real key is configured) the emulator."""

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from devserver.functions_host import ROUTE_PREFIX, FunctionsHost, load_http_functions
from devserver.local_settings import missing_from, read_values
from devserver.static_site import StaticSite
from devserver.swa_config import load_swa_config

if TYPE_CHECKING:
    from emulator import Emulator

REPO_ROOT = Path(__file__).resolve().parent.parent
API_KEY = "ABLY_API_KEY"
ENDPOINT_URL = "ABLY_ENDPOINT_URL"


def create_app(site: StaticSite, api: FunctionsHost) -> web.Application:
    """Route /api/* to the functions and everything else to the static site, as SWA does."""
    app = web.Application()
    app.router.add_route("*", ROUTE_PREFIX + "{tail:.*}", api.handle)
    app.router.add_route("*", "/{tail:.*}", site.handle)
    return app


def new_local_key() -> str:
    """Return a throwaway key for the emulator: it exists only for this run and only on this machine."""
    return f"local.devserver:local-{secrets.token_urlsafe(24)}"


class DevServer:
    """Serve `site/` and the Functions app on one origin, with the emulator unless ABLY_API_KEY is configured.

    `force_emulator` starts the emulator even when a real key is configured (the browser tests use it).
    `emulator_settings` overrides EmulatorConfig fields, e.g. `{"presence_leave_timeout": 1.0}` for tests.

    The functions read their settings from os.environ, as under the Functions host, so `start()` sets
    ABLY_API_KEY and ABLY_ENDPOINT_URL (and local.settings.json's Values) there and `stop()` restores them.
    Run one DevServer per process at a time.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4280,
        emulator_port: int = 0,
        app_root: Path = REPO_ROOT,
        site_dir: Path | None = None,
        config_path: Path | None = None,
        local_settings_path: Path | None = None,
        force_emulator: bool = False,
        emulator_settings: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.emulator_port = emulator_port
        self.app_root = app_root
        self.site_dir = site_dir or app_root / "site"
        self.config_path = config_path or app_root / "staticwebapp.config.json"
        self.local_settings_path = local_settings_path or app_root / "local.settings.json"
        self.force_emulator = force_emulator
        self.emulator_settings = dict(emulator_settings or {})
        self.url: str | None = None
        self.emulator: Emulator | None = None
        self.key_source: str | None = None
        self._runner: web.AppRunner | None = None
        self._saved_environ: dict[str, str | None] = {}

    async def start(self) -> None:
        """Start the emulator (unless a real key is configured), then listen; `url` is set when this returns."""
        try:
            functions = load_http_functions(self.app_root)
            config = load_swa_config(self.config_path)
            settings = missing_from(os.environ, read_values(self.local_settings_path))
            self.key_source = None if self.force_emulator else self._real_key_source(settings)
            if self.key_source is None:
                emulator_settings = await self._start_emulator()
                settings.update(emulator_settings)
                emulator_url = emulator_settings[ENDPOINT_URL]
                ws_origin = str(URL(emulator_url).with_scheme("ws")).rstrip("/")
                config = config.with_connect_sources(emulator_url.rstrip("/"), ws_origin)
            self._apply_environ(settings)
            app = create_app(StaticSite(self.site_dir, config), FunctionsHost(functions))
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
        except BaseException:
            await self.stop()
            raise
        bound_port = self._runner.addresses[0][1]
        self.url = str(URL.build(scheme="http", host=self.host, port=bound_port))

    async def stop(self) -> None:
        """Stop listening, stop the emulator and put the environment back as it was. Safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.emulator is not None:
            await self.emulator.stop()
            self.emulator = None
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environ = {}

    async def __aenter__(self) -> "DevServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _real_key_source(self, local_values: dict[str, str]) -> str | None:
        """Return where a real ABLY_API_KEY comes from ("environment" or the settings file), or None."""
        if os.environ.get(API_KEY, "").strip():
            return "environment"
        if local_values.get(API_KEY, "").strip():
            return self.local_settings_path.name
        return None

    async def _start_emulator(self) -> dict[str, str]:
        """Start the emulator with a fresh local key; return the settings that point the functions at it."""
        from emulator import Emulator, EmulatorConfig

        key = new_local_key()
        emulator = self.emulator = Emulator(EmulatorConfig(keys=[key], **self.emulator_settings))
        await emulator.start(host=self.host, port=self.emulator_port)
        return {API_KEY: key, ENDPOINT_URL: emulator.url}

    def _apply_environ(self, settings: dict[str, str]) -> None:
        for name, value in settings.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value
