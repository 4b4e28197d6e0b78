"""docs/emulator.md is true: its ably-js and ably-python snippets, run as printed against `python -m emulator` started
as the guide says (no key: the local development key), each receive their own message; every option, control and
error code it names is the emulator's; `--help` points at the guide."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import errors
from emulator.app import Emulator
from emulator.cli import build_parser
from emulator.config import EmulatorConfig
from emulator.controls import ControlRoutes
from tests.processes import start_server

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "emulator.md").read_text()
RUN_TIMEOUT_SECONDS = 30


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE, re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def port():
    emulator = start_server([sys.executable, "-m", "emulator", "--port", "0"], cwd=str(REPO))
    try:
        ready = emulator.wait_for(r"Ably emulator listening on http://127\.0\.0\.1:(\d+)", timeout=20)
        emulator.wait_for(r"Local development key: localapp\.localkey:", timeout=5)
        yield ready.group(1)
    finally:
        emulator.stop()


def on_port(snippet: str, port: str) -> str:
    assert "8081" in snippet, "the snippet names the port the guide starts the emulator on"
    return snippet.replace("8081", port)


def test_the_ably_js_snippet_receives_its_message(port):
    (snippet,) = blocks("js")
    run = subprocess.run(
        ["node", "--input-type=module", "-e", on_port(snippet, port)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ably-js received: hello from ably-js"


def test_the_ably_python_snippet_receives_its_message(port):
    snippet = next(block for block in blocks("python") if "asyncio.run(main())" in block)
    run = subprocess.run(
        [sys.executable, "-c", on_port(snippet, port)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ably-python received: hello from ably-python"


def test_every_option_the_guide_names_is_one_of_the_command_line():
    named = set(re.findall(r"`(--[a-z-]+)", GUIDE))
    known = {option for action in build_parser()._actions for option in action.option_strings}
    assert named, "the guide names options"
    assert named <= known, named - known


def test_every_control_the_guide_lists_is_served():
    listed = {
        (method, re.sub(r"\[.*?\]", "", path).replace("{connectionId}", "{connection_id}"))
        for method, path in re.findall(r"^\| `(GET|POST) (/_emulator/\S+)`", GUIDE, re.MULTILINE)
    }
    routes = ControlRoutes(Emulator(EmulatorConfig()).controls).routes()
    assert listed == {(route.method, route.path) for route in routes}


def test_every_error_code_the_guide_names_is_one_the_emulator_sends():
    sent = {value.code for value in vars(errors).values() if hasattr(value, "code")}
    named = {int(code) for code in re.findall(r"\b(4\d{4}|8\d{4}|9\d{4})\b", GUIDE)}
    assert named, "the guide names error codes"
    assert named <= sent, named - sent


def test_help_shows_how_to_point_each_sdk_at_it_and_names_the_guide():
    text = build_parser().format_help()
    assert "endpoint: '127.0.0.1', port: 8081, tls: false" in text
    assert 'AblyRealtime(auth_callback=..., endpoint="127.0.0.1:8081", tls=False)' in text
    assert "docs/emulator.md" in text
