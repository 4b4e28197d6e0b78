"""The servers a benchmark measures, each in a process of its own (as users start them), so that the load generator
(this process) and the server under test share neither an event loop nor a core."""

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.processes import ServerProcess as Child
from tests.processes import start_server

REPO_ROOT = Path(__file__).resolve().parent.parent
EMULATOR_READY = r"Ably emulator listening on (http://\S+)"
DEV_HOST_READY = r"Open (http://\S+?)/?\s*$"


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used so far, or None (no /proc, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """A running server: its base URL (``http://127.0.0.1:PORT``) and the child process."""

    url: str
    child: Child

    @property
    def pid(self) -> int:
        return self.child.process.pid

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.pid)

    def printed(self, pattern: str) -> str:
        """The first group of the first line the server printed that matches ``pattern``."""
        return self.child.wait_for(pattern, timeout=0).group(1)


@contextlib.asynccontextmanager
async def running(
    module_args: Sequence[str], ready_pattern: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """Run ``python -m <module_args>`` (``env`` added to this process's) until the block ends, once it printed a line
    matching ``ready_pattern``, whose one group is the URL."""
    child = start_server([sys.executable, "-m", *module_args], env=dict(env or {}), cwd=str(REPO_ROOT))
    try:
        ready = await asyncio.to_thread(child.wait_for, ready_pattern, 20.0)
        yield ServerProcess(ready.group(1), child)
    finally:
        await asyncio.to_thread(child.stop)


def emulator(*flags: str, env: Mapping[str, str] | None = None) -> contextlib.AbstractAsyncContextManager:
    """``python -m emulator`` on a free loopback port."""
    return running(["emulator", "--host", "127.0.0.1", "--port", "0", *flags], EMULATOR_READY, env)


def dev_host(*flags: str) -> contextlib.AbstractAsyncContextManager:
    """``python -m devserver`` on free ports, with its emulator (never a developer's real key)."""
    return running(["devserver", "--port", "0", "--emulator-port", "0", "--emulator", *flags], DEV_HOST_READY)
