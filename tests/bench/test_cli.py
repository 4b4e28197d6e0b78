"""The benchmark command line: `python -m bench NAME...` refuses a name it does not know."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bench_cli_refuses_an_unknown_benchmark_name():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "no-such-benchmark"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == 2
    assert "unknown benchmark no-such-benchmark" in completed.stderr
