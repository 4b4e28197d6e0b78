"""Smoke test of the soak benchmark: `python -m bench soak --quick` reports the resident set idle, at its peak and
settled for each abuse (a client that never reads, inbox channels, a huge frame to the dev host's port)."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke
RSS = r"\| ([\d.]+) \| ([\d.]+) \| [\d.]+ \|"


def test_soak_quick_run_reports_the_resident_set_under_each_abuse_and_that_it_comes_back():
    output = quick_run("soak", timeout=180)
    never_reader = re.search(
        rf"^\| a client that never reads.* {RSS} cut off as a slow consumer; .* got ([\d,]+) of ([\d,]+)", output, re.M
    )
    assert never_reader, output
    assert never_reader[3] == never_reader[4], "the subscriber that reads got every message"
    assert re.search(
        rf"^\| 200 inbox channels with history .* {RSS} kept .*; all dropped once expired \|$", output, re.M
    ), output
    frame = re.search(rf"^\| a 5 MB WebSocket frame to the dev host's port {RSS} refused: .* \|$", output, re.M)
    assert frame, output
    assert float(frame[2]) - float(frame[1]) < 5, "the dev host refused the frame before buffering it whole"
    assert re.search(r"memory comes back: settled at most \d+ MB above idle", output), output
