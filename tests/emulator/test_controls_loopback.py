"""The test controls (`/_emulator/*`) answer only on the loopback interface, whatever the request's headers say,
even when the emulator listens on every interface (`python -m emulator --host 0.0.0.0`): they show every clientId
and channel and can drop or expire anyone.

The other host is real: two network namespaces joined by a veth link, addresses from TEST-NET-1 (RFC 5737, kept
for documentation and never routed), made by this test and deleted after it. Root and `ip netns` are needed.
"""

import asyncio
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from emulator.controls import from_loopback

from .conftest import FAKE_KEY, within

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER, CLIENT, PORT = "192.0.2.1", "192.0.2.2", 8080
SPOOFED = ["X-Forwarded-For: 127.0.0.1", "X-Real-IP: 127.0.0.1", "Forwarded: for=127.0.0.1", "Host: 127.0.0.1:8080"]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def hosts():
    """Namespaces `server` (192.0.2.1) and `client` (192.0.2.2), each with its own loopback, joined by a veth link."""
    suffix = secrets.token_hex(3)
    names = SimpleNamespace(server=f"emu-s-{suffix}", client=f"emu-c-{suffix}")
    try:
        ip("netns", "add", names.server)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"network namespaces are not available here (root and iproute2 needed): {exc}")
    try:
        ip("netns", "add", names.client)
        ip(
            "link",
            "add",
            f"vs{suffix}",
            "netns",
            names.server,
            "type",
            "veth",
            "peer",
            f"vc{suffix}",
            "netns",
            names.client,
        )
        for namespace, device, address in (
            (names.server, f"vs{suffix}", SERVER),
            (names.client, f"vc{suffix}", CLIENT),
        ):
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", device)
            ip("-n", namespace, "link", "set", device, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield names
    finally:
        for namespace in (names.server, names.client):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=10)


async def probe(namespace: str, method: str, url: str, *headers: str) -> tuple[int, dict]:
    process = await asyncio.create_subprocess_exec(
        "ip",
        "netns",
        "exec",
        namespace,
        sys.executable,
        "-m",
        "tests.emulator.http_probe",
        method,
        url,
        *headers,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await within(process.communicate(), timeout=30, what=f"{method} {url} from {namespace}")
    assert process.returncode == 0, err.decode()
    answer = json.loads(out)
    return answer["status"], answer["body"]


async def test_controls_refuse_another_host_whatever_its_headers_and_answer_on_loopback(hosts):
    emulator = await asyncio.create_subprocess_exec(
        "ip",
        "netns",
        "exec",
        hosts.server,
        sys.executable,
        "-m",
        "emulator",
        "--host",
        "0.0.0.0",
        "--port",
        str(PORT),
        "--key",
        FAKE_KEY,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        line = await within(emulator.stdout.readline(), timeout=30, what="the emulator's ready line")
        assert re.search(rb"listening on http://0\.0\.0\.0:8080", line), line

        remote = f"http://{SERVER}:{PORT}"
        assert (await probe(hosts.client, "GET", f"{remote}/time"))[0] == 200, "the other host reaches the emulator"
        for method, path in (("GET", "stats"), ("POST", "connections/drop"), ("POST", "tokens/expire")):
            status, body = await probe(hosts.client, method, f"{remote}/_emulator/{path}", *SPOOFED)
            assert (status, body["error"]["code"]) == (403, 40300), path
            assert "loopback" in body["error"]["message"]
        # The server's own non-loopback address is not loopback either.
        assert (await probe(hosts.server, "GET", f"{remote}/_emulator/stats"))[0] == 403

        status, body = await probe(hosts.server, "GET", f"http://127.0.0.1:{PORT}/_emulator/stats")
        assert status == 200
        assert "total" in body
    finally:
        emulator.terminate()
        await within(emulator.wait(), what="the emulator to stop")


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [
        (("127.0.0.1", 5000), True),
        (("127.8.9.10", 5000), True),
        (("::1", 5000, 0, 0), True),
        (("::ffff:127.0.0.1", 5000, 0, 0), True),
        (("192.0.2.7", 5000), False),
        (("::ffff:192.0.2.7", 5000, 0, 0), False),
        (("fe80::1%eth0", 5000, 0, 2), False),
        (None, False),
        ("/run/socket", False),
    ],
)
def test_loopback_is_read_from_the_socket_peer(peer, loopback):
    request = SimpleNamespace(transport=SimpleNamespace(get_extra_info=lambda name: peer))
    assert from_loopback(request) is loopback
