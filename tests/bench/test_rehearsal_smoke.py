"""Smoke test of the rehearsal benchmark: `python -m bench rehearsal --quick` hosts and joins in both configurations."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STEPS = ("page load → hosted", "press Host → hosted", "invite link → joined", "press Join → joined")

pytestmark = pytest.mark.bench_smoke


def test_rehearsal_quick_run_reports_host_and_join_times_in_both_configurations_and_their_ratios():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "rehearsal", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    for step in STEPS:
        row = re.search(rf"^\| {step} \| (\d+) \| (\d+) \| (\d+\.\d\d)× \| (\d+\.\d\d)× \|$", output, re.MULTILINE)
        assert row, f"no row for {step}:\n{output}"
        assert all(float(value) > 0 for value in row.groups()), output
    assert re.search(r"hosting takes \*\*\d+\.\d\d×\*\* and joining \*\*\d+\.\d\d×\*\*", output), output
