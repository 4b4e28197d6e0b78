"""What a benchmark starts: the servers it measures, each in a process of its own as users start them (so the load
generator and the server share neither an event loop nor a core), and headless Chromium."""

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.processes import ServerProcess as Child
from tests.processes import start_server

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ServerProcess:
    url: str  # http://127.0.0.1:PORT
    child: Child

    @property
    def pid(self) -> int:
        return self.child.process.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server has used so far."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def get_json(http: aiohttp.ClientSession, url: str, headers: dict | None = None):
    async with http.get(url, headers=headers, raise_for_status=True) as response:
        return await response.json()


@contextlib.asynccontextmanager
async def running(args: list[str], ready: str, env: Mapping[str, str] | None = None) -> AsyncIterator[ServerProcess]:
    """``python -m <args>`` (``env`` added to this process's) until the block ends, once it printed a line matching
    ``ready``, whose group is its URL."""
    child = start_server([sys.executable, "-m", *args], env=dict(env or {}), cwd=str(REPO_ROOT))
    try:
        yield ServerProcess((await asyncio.to_thread(child.wait_for, ready, 20.0)).group(1), child)
    finally:
        await asyncio.to_thread(child.stop)


def emulator(*flags: str) -> contextlib.AbstractAsyncContextManager[ServerProcess]:
    """``python -m emulator`` on a free loopback port."""
    return running(["emulator", "--host", "127.0.0.1", "--port", "0", *flags], r"emulator listening on (http://\S+)")


def dev_host(*flags: str, env: Mapping[str, str] | None = None) -> contextlib.AbstractAsyncContextManager:
    """``python -m devserver`` on free ports, with its own emulator unless ``env`` names one."""
    own = [] if env else ["--emulator-port", "0", "--emulator"]
    return running(["devserver", "--port", "0", *own, *flags], r"Open (http://\S+?)/?\s*$", env)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator:
    """Headless Chromium, launched as the browser tests launch it."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable

    async with (
        async_playwright() as pw,
        await pw.chromium.launch(args=CHROMIUM_ARGS, executable_path=chromium_executable()) as browser,
    ):
        yield browser
