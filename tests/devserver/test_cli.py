"""`python -m devserver` as a user runs it: prints where to open it, serves, and stops cleanly on SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from devserver.cli import emulator_settings, parse_args
from devserver.network import lan_addresses
from tests.devserver.conftest import REPO, SETTINGS
from tests.processes import start_server
from tests.stand_ins.connect_proxy import ConnectProxy
from tests.stand_ins.host_rules import HostRules

OPEN_LINE = r"^Open (http://127\.0\.0\.1:(\d+))/$"


def cli_env(**values: str) -> dict[str, str]:
    """The parent's environment without Ably settings, plus `values` (start_server merges it over os.environ)."""
    return dict.fromkeys(SETTINGS, "") | values


def nowhere_env(proxy: ConnectProxy) -> dict[str, str]:
    """The only route out for a child's https: a proxy that finds no name (Ably's real hosts are never looked up)."""
    assert proxy.url is not None
    return {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url, "NO_PROXY": "", "no_proxy": ""}


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_cli_help_lists_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "devserver", "--help"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for option in ("--host", "--port", "--site", "--emulator-port", "--lan", "--public-url"):
        assert option in result.stdout


def test_cli_with_a_real_key_prints_its_url_serves_and_stops_on_sigterm():
    # With a real key the dev host asks Ably about it in the background: here through a proxy that finds no name.
    with ConnectProxy(HostRules.only({})) as nowhere:
        server = start_server(
            [sys.executable, "-m", "devserver", "--port", "0"],
            cwd=str(REPO),
            env=cli_env(ABLY_API_KEY="fakeapp.fakekey:fake-secret-cli", **nowhere_env(nowhere)),
        )
        try:
            url = server.wait_for(OPEN_LINE).group(1)
            assert server.seen[-2:] == [
                "Ably: the real service, with ABLY_API_KEY from environment\n",
                f"Open {url}/\n",
            ]
            status, body = fetch(url + "/api/clientConfig")
            assert (status, json.loads(body)) == (200, {})
        finally:
            assert server.stop() == 0


def test_cli_starts_the_emulator_prints_it_then_the_url_last_and_stops_on_sigterm():
    server = start_server(
        [sys.executable, "-m", "devserver", "--port", "0", "--emulator-port", "0"], cwd=str(REPO), env=cli_env()
    )
    try:
        url, port = server.wait_for(OPEN_LINE).groups()
        emulator_line, open_line = server.seen[-2:]
        assert open_line == f"Open {url}/\n"
        assert emulator_line.startswith("Emulator: http://127.0.0.1:")
        status, body = fetch(url + "/api/clientConfig")
        assert status == 200
        assert json.loads(body)["port"] == int(port)  # the emulator is proxied on the dev host's own port
        status, body = fetch(url + "/s/demo")
        assert status == 200
    finally:
        assert server.stop() == 0


def test_cli_stops_cleanly_on_ctrl_c():
    server = start_server([sys.executable, "-m", "devserver", "--port", "0"], cwd=str(REPO), env=cli_env())
    try:
        server.wait_for(OPEN_LINE)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=15) == 0
    finally:
        server.stop()


def run_on_a_busy_port(*options: str) -> tuple[int, subprocess.CompletedProcess[str]]:
    """`python -m devserver` with `options` naming a port another program listens on (given as "{port}")."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "devserver", *(option.format(port=port) for option in options)],
            cwd=REPO,
            env={**os.environ, **cli_env()},
            capture_output=True,
            text=True,
            timeout=30,
        )
    return port, result


def test_cli_on_a_busy_port_exits_saying_how_to_choose_another():
    port, result = run_on_a_busy_port("--port", "{port}")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"devserver: cannot start: port {port} is in use by another program: choose another with --port, "
        f"e.g. `make run PORT={port + 1}` or `python -m devserver --port {port + 1}`"
    )
    assert "Open " not in result.stdout


def test_cli_with_the_emulators_port_busy_names_the_option_that_moves_it():
    port, result = run_on_a_busy_port("--port", "0", "--emulator-port", "{port}")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"devserver: cannot start: port {port} is in use by another program: choose another with --emulator-port, "
        "e.g. `--emulator-port 0` (any free port)"
    )


def test_cli_without_a_built_site_says_in_one_line_how_to_build_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "devserver", "--port", "0", "--site", str(tmp_path / "dist" / "site")],
        cwd=REPO,
        env={**os.environ, **cli_env()},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"devserver: cannot start: no site in {tmp_path / 'dist' / 'site'} (no index.html): "
        "run `npm run build` or `make run`"
    ]
    assert result.stdout == ""


def test_cli_serves_the_folder_given_with_site(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>another build</title>")
    server = start_server(
        [sys.executable, "-m", "devserver", "--port", "0", "--site", str(tmp_path)], cwd=str(REPO), env=cli_env()
    )
    try:
        url = server.wait_for(OPEN_LINE).group(1)
        assert fetch(url + "/s/demo") == (200, b"<!doctype html><title>another build</title>")
    finally:
        assert server.stop() == 0


def test_cli_emulator_presence_limit_flag_sets_the_emulators_member_limit():
    args = parse_args(["--emulator", "--emulator-presence-limit", "3"])
    assert emulator_settings(args) == {"presence_members_max": 3}
    assert emulator_settings(parse_args([])) == {}


def test_cli_lan_prints_the_lan_urls_and_the_invite_origin_beside_the_local_one():
    if not lan_addresses():
        pytest.skip("this machine has no non-loopback IPv4 address")
    server = start_server([sys.executable, "-m", "devserver", "--port", "0", "--lan"], cwd=str(REPO), env=cli_env())
    try:
        port = server.wait_for(OPEN_LINE).group(2)
        lan_lines = [line.strip() for line in server.seen if line.startswith("On your network: ")]
        assert lan_lines == [f"On your network: http://{address}:{port}/" for address in lan_addresses()]
        assert f"Invite links use http://{lan_addresses()[0]}:{port}\n" in server.seen
        status, _ = fetch(lan_lines[0].split(": ", 1)[1] + "s/demo")
        assert status == 200
    finally:
        assert server.stop() == 0


def test_cli_public_url_must_be_an_origin():
    assert parse_args(["--public-url", "https://abc.devtunnels.ms/"]).public_url == "https://abc.devtunnels.ms"
    result = subprocess.run(
        [sys.executable, "-m", "devserver", "--public-url", "ftp://x/y"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--public-url" in result.stderr
