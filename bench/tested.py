"""What the rehearsal and drills benchmarks share: they time the browser tests that already play their scenarios,
run in a pytest subprocess with tests/timings.py recording every page's timeline (ms since its navigation), rather
than play the scenarios a second time. A test that fails gives no sample; the report says so."""

import asyncio
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.processes import REPO_ROOT

Timeline = list[list]  # [[ms, "click host-button" | "acknowledged" | "shown state/situation"], ...]


async def timelines(*args: str) -> dict[str, list[Timeline]]:
    """One pytest run (``args``: the tests, options): the pages' timelines of each test that passed, by node id;
    what failed is printed."""
    with tempfile.TemporaryDirectory(prefix="bench-tests-") as folder:
        out = Path(folder) / "timings.jsonl"
        command = [sys.executable, "-m", "pytest", "-p", "tests.timings", "--timings", str(out), "-q", *args]
        done = await asyncio.to_thread(subprocess.run, command, cwd=REPO_ROOT, capture_output=True, text=True)
        records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    if done.returncode:
        print(f"{' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-1000:]}", file=sys.stderr, flush=True)
    pages: dict[str, list[Timeline]] = {}
    for record in records:
        if record["passed"]:
            pages.setdefault(record["test"], []).append(record["events"])
    return pages


def pages_of(found: dict[str, list[Timeline]], key: str) -> list[Timeline]:
    """The pages of the test whose node id contains ``key``, in the order it opened them; none if it failed."""
    return next((pages for test, pages in found.items() if key in test), [])


def when(events: Timeline, pattern: str, since: float = 0.0) -> float | None:
    """The first time at or after ``since`` that a page noted something matching ``pattern``."""
    return next((at for at, what in events if at >= since and re.fullmatch(pattern, what)), None)
