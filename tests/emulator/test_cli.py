"""`python -m emulator`: the ready line, the local key, --help, and refusing malformed keys."""

import subprocess
import sys
from pathlib import Path

import aiohttp

from emulator import LOCAL_DEVELOPMENT_KEY
from tests.processes import start_server

from .conftest import FAKE_KEY, within

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0"]


async def test_cli_prints_its_url_and_the_local_key_when_no_key_is_given():
    server = start_server(CLI, cwd=str(REPO))
    try:
        url = server.wait_for(r"^Ably emulator listening on (http://127\.0\.0\.1:\d+)$", timeout=20)[1]
        server.wait_for(rf"^Local development key: {LOCAL_DEVELOPMENT_KEY}$", timeout=5)
        async with aiohttp.ClientSession() as session, session.get(f"{url}/time") as response:
            assert response.status == 200
            assert isinstance((await response.json())[0], int)
    finally:
        assert server.stop() == 0


async def test_cli_accepts_repeated_keys_and_prints_no_key_line_then():
    second = "otherapp.otherkey:fake-second-secret"
    server = start_server([*CLI, "--key", FAKE_KEY, "--key", second], cwd=str(REPO))
    try:
        url = server.wait_for(r"listening on (http://\S+)", timeout=20)[1]
        async with aiohttp.ClientSession() as session:
            for key_name in (FAKE_KEY.split(":")[0], second.split(":")[0]):
                body = {"keyName": key_name, "timestamp": 0, "nonce": "0" * 16, "mac": "x"}
                response = await within(session.post(f"{url}/keys/{key_name}/requestToken", json=body))
                # A known key gets past the key lookup and fails on the bad MAC instead.
                assert (await response.json())["error"]["message"].startswith("Invalid mac")
        assert not any("Local development key" in line for line in server.seen)
    finally:
        server.stop()


def test_cli_help_documents_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for option in (
        "--host",
        "--port",
        "--key",
        "--max-message-size",
        "--connection-state-ttl",
        "--max-idle-interval",
        "--presence-leave-timeout",
        "--history-ttl",
        "--rewind-max",
        "--sandbox",
        "--tls-cert",
        "--tls-key",
        "--tls-port",
    ):
        assert option in result.stdout


def test_cli_refuses_a_malformed_key():
    result = subprocess.run([*CLI, "--key", "not-a-key"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "appId.keyId:secret" in result.stderr
