"""Smoke test of the dev host benchmark: `python -m bench dev-host --quick` joins peers through the dev host's port
and on the emulator's own, reports their ratio, and a full session refuses one more member with 91003."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.bench_smoke


def test_dev_host_quick_run_reports_joins_through_the_port_beside_the_emulators_own_and_the_presence_limit():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "dev-host", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert re.search(r"\| all 30 joined \(s\) \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output), output
    assert re.search(r"\| `GET /time` with all 30 connected, p50 \(ms\) \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output)
    assert "was refused with 91003: **yes**" in output, output
