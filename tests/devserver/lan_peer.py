"""A client on the network rather than on this machine's loopback, for tests of what the dev host shows the LAN.

It connects from this machine's own LAN address when it has one (the kernel then gives the connection that source
address), else from a network namespace the test creates, joined to this machine by a veth pair (needs root and
`ip`); with neither the test is skipped, saying why. Either way the requests are sent by
`python -m tests.devserver.raw_http` in a child process, the same program in both cases.
"""

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
from asyncio.subprocess import PIPE
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devserver.network import lan_addresses
from tests.devserver.conftest import REPO
from tests.devserver.raw_http import Answer

TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class LanPeer:
    """`host` is the dev host's address as the peer sees it; `namespace` the peer's network namespace, if any."""

    host: str
    namespace: str | None = None

    async def send(self, requests: list[tuple[int, str, str, list[tuple[str, str]]]]) -> list[Answer]:
        """Send (port, method, target, headers) requests to `host`, one connection each, in order."""
        command = [sys.executable, "-m", "tests.devserver.raw_http"]
        if self.namespace is not None:
            command = ["ip", "netns", "exec", self.namespace, *command]
        payload = [
            {"host": self.host, "port": port, "method": method, "target": target, "headers": headers}
            for port, method, target, headers in requests
        ]
        child = await asyncio.create_subprocess_exec(*command, stdin=PIPE, stdout=PIPE, stderr=PIPE, cwd=REPO)
        stdout, stderr = await asyncio.wait_for(child.communicate(json.dumps(payload).encode()), TIMEOUT_SECONDS)
        assert child.returncode == 0, stderr.decode()
        return [Answer(answer["status"], answer["headers"], answer["body"].encode()) for answer in json.loads(stdout)]


@contextlib.contextmanager
def lan_peer() -> Iterator[LanPeer]:
    """A peer that reaches a dev host listening on every interface (`--lan`) from a non-loopback address."""
    addresses = lan_addresses()
    if addresses:
        yield LanPeer(addresses[0])
        return
    with _namespace() as (host, namespace):
        yield LanPeer(host, namespace)


@contextlib.contextmanager
def _namespace() -> Iterator[tuple[str, str]]:
    """A network namespace whose only link is a veth pair to this machine: (this machine's end, namespace name)."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("this machine has no LAN address, and no network namespace can be made (needs root and `ip`)")
    name = f"devhost{os.getpid()}"
    outside, inside = f"dh{os.getpid()}o", f"dh{os.getpid()}i"
    block = os.getpid() % 16384  # a /30 of its own for each test process
    subnet = f"10.214.{block // 64}"
    host, peer = f"{subnet}.{block % 64 * 4 + 1}", f"{subnet}.{block % 64 * 4 + 2}"
    steps = [
        ["ip", "netns", "add", name],
        ["ip", "link", "add", outside, "type", "veth", "peer", "name", inside],
        ["ip", "link", "set", inside, "netns", name],
        ["ip", "addr", "add", f"{host}/30", "dev", outside],
        ["ip", "link", "set", outside, "up"],
        ["ip", "netns", "exec", name, "ip", "addr", "add", f"{peer}/30", "dev", inside],
        ["ip", "netns", "exec", name, "ip", "link", "set", inside, "up"],
    ]
    try:
        for step in steps:
            made = subprocess.run(step, capture_output=True, text=True, timeout=10)
            if made.returncode != 0:
                pytest.skip(f"this machine has no LAN address, and `{' '.join(step)}` failed: {made.stderr.strip()}")
        yield host, name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=10)  # takes the veth pair along
        subprocess.run(["ip", "link", "delete", outside], capture_output=True, timeout=10)
