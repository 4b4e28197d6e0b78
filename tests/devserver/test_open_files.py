"""`python -m devserver` raises a low open-file limit: every page's WebSocket costs it three sockets, so Linux's usual
1,024 would refuse the ~340th page and macOS's 256 the ~85th."""

import re
import resource
import shlex
import sys
from pathlib import Path

import pytest

from devserver.open_files import WANTED
from tests.devserver.conftest import REPO, SETTINGS
from tests.processes import start_server

LOW_LIMIT = 256


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads the process's limits from /proc")
def test_the_dev_host_started_with_a_low_open_file_limit_raises_it_as_far_as_the_hard_limit_allows():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard <= LOW_LIMIT:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise")
    command = shlex.join([sys.executable, "-m", "devserver", "--port", "0", "--emulator"])
    server = start_server(
        ["sh", "-c", f"ulimit -Sn {LOW_LIMIT} && exec {command}"], cwd=str(REPO), env=dict.fromkeys(SETTINGS, "")
    )
    try:
        server.wait_for(r"^Open http://")
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
    finally:
        server.stop()
    soft = int(re.search(r"^Max open files\s+(\d+)", limits, re.MULTILINE).group(1))
    assert soft == (WANTED if hard == resource.RLIM_INFINITY else min(WANTED, hard))
