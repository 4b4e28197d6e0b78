"""Start a command-line server as a child process and wait, with a bound, for the lines it prints when ready."""

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
        """Ask the process to stop (SIGTERM), then kill it if it has not exited in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode


def start_server(args: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> ServerProcess:
    """Start `args` with stdout and stderr merged and read line by line in the background."""
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=cwd,
    )
    server = ServerProcess(process)

    stdout = process.stdout
    assert stdout is not None, "started with stdout=PIPE"

    def pump() -> None:
        for line in stdout:
            server.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return server
