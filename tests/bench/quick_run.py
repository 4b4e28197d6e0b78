"""Run one benchmark as the smoke tests do, `python -m bench NAME --quick`, and return what it printed."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def quick_run(name: str, timeout: float) -> str:
    """The benchmark's output (stdout, then stderr); fails the test, showing it, unless the run succeeded."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", name, "--quick"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output
