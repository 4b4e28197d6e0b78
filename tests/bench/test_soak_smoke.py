"""Smoke test of the soak benchmark: `python -m bench soak --quick` reports the emulator's resident set idle, at its
peak and settled under inbox channels with history, and that it comes back once the history expired."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke
RSS = r"\| ([\d.]+) \| ([\d.]+) \| ([\d.]+)"  # idle, peak, settled


def test_soak_quick_run_reports_the_resident_set_under_inbox_history_and_that_it_comes_back():
    output = quick_run("soak", timeout=180)
    row = re.search(
        rf"^\| 200 inbox channels with history \(1,000 messages, .* {RSS} \| [\d,]+ messages \(",
        output,
        re.M,
    )
    assert row, output
    idle, peak, settled = map(float, row.groups())
    assert 0 < idle <= peak, output
    assert settled <= peak + 1, "settled no higher than the peak"
    assert re.search(r"memory comes back: settled -?\d+ MB above idle", output), output
