"""Start a command-line server as a child process and wait, with a bound, for the lines it prints when ready."""

import contextlib
import os
import queue
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ServerProcess:
    """A child process whose output is read on a thread, so waiting for a line can time out."""

    process: subprocess.Popen
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    own_group: bool = False

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match:
        """Return the first match of `pattern` in the output, or fail naming what was printed."""
        regex = re.compile(pattern)
        for line in self.seen:
            if match := regex.search(line):
                return match
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if match := regex.search(line):
                return match
        raise TimeoutError(f"no line matching {pattern!r} within {timeout}s; output so far:\n" + "".join(self.seen))

    def stop(self, timeout: float = 10.0) -> int:
        """Ask the process to stop (SIGTERM), then kill it if it has not exited in time.

        Started with `own_group`, the whole process group it leads gets the signals (its children too).
        """
        group = self.own_group
        if self.process.poll() is None:
            self._signal(signal.SIGTERM, group)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL, group)
                self.process.wait(timeout=timeout)
        if group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # children left behind by the leader
        return self.process.returncode

    def _signal(self, signum: int, group: bool) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)


def start_server(
    args: list[str], env: dict[str, str] | None = None, cwd: str | None = None, own_group: bool = False
) -> ServerProcess:
    """Start `args` with stdout and stderr merged and read line by line in the background.

    `own_group` starts it as the leader of a new process group, so that stop() also ends the children it spawns.
    """
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=cwd,
        start_new_session=own_group,
    )
    server = ServerProcess(process, own_group=own_group)

    stdout = process.stdout
    assert stdout is not None, "started with stdout=PIPE"

    def pump() -> None:
        for line in stdout:
            server.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return server
