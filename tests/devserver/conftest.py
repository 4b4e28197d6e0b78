"""Dev hosts for tests: on port 0, over a small fixture site, with the repo's config and Functions app."""

import json
import os
import socket
from pathlib import Path

import aiohttp
import pytest

from devserver import DevServer

REPO = Path(__file__).resolve().parents[2]
FAKE_REAL_KEY = "fakeapp.fakekey:fake-secret-standing-in-for-a-real-key"
SETTINGS = ("ABLY_API_KEY", "ABLY_ENDPOINT_URL", "ABLY_TOKEN_TTL_SECONDS")

INDEX_HTML = "<!doctype html><title>fixture app</title><script type=module src=/index.js></script>"
FIXTURE_FILES = {
    "index.html": INDEX_HTML,
    "index.js": "export const app = 'fixture';\n",
    "style.css": "body { margin: 0 }\n",
    "assets/lib-Bx1fM2aQ.js": "export default 1;\n",
    "manifest.webmanifest": "{}",
}


@pytest.fixture
def site_dir(tmp_path) -> Path:
    """A stand-in for site/ with the kinds of file the real one has."""
    root = tmp_path / "site"
    for name, text in FIXTURE_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def clean_settings(monkeypatch, tmp_path):
    """No Ably settings in the environment, and a local.settings.json path that tests may fill."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "local.settings.json"


def free_port() -> int:
    """A loopback port nothing listens on now, for a process that must be told its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_local_settings(path: Path, values: dict, encrypted: bool = False) -> None:
    path.write_text(json.dumps({"IsEncrypted": encrypted, "Values": values}))


def dev_server(site_dir: Path, local_settings: Path, **kwargs) -> DevServer:
    """A DevServer over the fixture site with the repo's config and functions, on free ports."""
    return DevServer(
        port=0, emulator_port=0, app_root=REPO, site_dir=site_dir, local_settings_path=local_settings, **kwargs
    )


@pytest.fixture
async def real_key_server(site_dir, clean_settings, monkeypatch):
    """A dev host in real-Ably mode (a well-formed key in the environment): no emulator, no network needed."""
    monkeypatch.setenv("ABLY_API_KEY", FAKE_REAL_KEY)
    async with dev_server(site_dir, clean_settings) as server:
        yield server


@pytest.fixture
async def emulator_server(site_dir, clean_settings):
    """A dev host in its default mode: the embedded emulator with a local key."""
    async with dev_server(site_dir, clean_settings) as server:
        yield server


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def environ_snapshot() -> dict:
    return {name: os.environ.get(name) for name in SETTINGS}
