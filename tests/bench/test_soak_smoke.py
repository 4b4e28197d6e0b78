"""Smoke test of the soak benchmark: `python -m bench soak --quick` gives memory back and keeps the history cap."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.bench_smoke


def test_soak_quick_run_reports_the_heap_back_near_idle_and_history_within_its_cap():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "soak", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert re.search(r"\| Python heap \(tracemalloc\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output), output
    assert "Goal (heap after all closed within 10 % of idle): **met**" in output, output
    assert re.search(r"\| 3,000 \| 1,000 \(1,000\) \|", output), output
    assert "Goal (history within the count cap): **met**" in output, output
