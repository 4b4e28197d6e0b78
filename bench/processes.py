"""Start a server as a child process and learn its URL from the line it prints when ready.

Benchmarks run each server in its own process so that the load generator (this process) and the server under
test do not share an event loop or a CPU core, and so the emulator is measured exactly as users start it.
"""

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0


@dataclass
class ServerProcess:
    """A running server: its base URL (``http://127.0.0.1:PORT``) and the child process."""

    url: str
    process: asyncio.subprocess.Process

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the process has used so far, or None where /proc is not available."""
        return cpu_seconds(self.process.pid)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used so far, or None (no /proc, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def running(
    module_args: Sequence[str], ready_pattern: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """Run ``python -m <module_args>`` until the block ends; wait for a stdout line matching ``ready_pattern``.

    ``ready_pattern`` has one group, the URL. ``env`` replaces the environment (default: this process's).
    The process is terminated (then killed) however the block ends.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *module_args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=REPO_ROOT,
        env=None if env is None else dict(env),
    )
    try:
        stdout = process.stdout
        assert stdout is not None, "started with stdout=PIPE"
        url = await asyncio.wait_for(_ready_url(stdout, re.compile(ready_pattern)), READY_TIMEOUT_SECONDS)
        drain = asyncio.create_task(_discard(stdout))
        try:
            yield ServerProcess(url=url, process=process)
        finally:
            drain.cancel()
    finally:
        await _stop(process)


async def _ready_url(stdout: asyncio.StreamReader, pattern: re.Pattern[str]) -> str:
    seen: list[str] = []
    while True:
        line = await stdout.readline()
        if not line:
            raise RuntimeError(f"server exited before it was ready:\n{''.join(seen)}")
        text = line.decode(errors="replace")
        seen.append(text)
        match = pattern.search(text)
        if match:
            return match.group(1)


async def _discard(stream: asyncio.StreamReader) -> None:
    """Keep reading the server's output so a chatty server never blocks on a full pipe."""
    while await stream.read(65536):
        pass


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
