"""Smoke test of the soak benchmark: `python -m bench soak --quick` gives memory back, keeps the history cap, and
reports the resident set under abuse (a client that never reads, inbox channels, a huge frame to the dev host) and
token requests with many live tokens."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke


def test_soak_quick_run_reports_the_heap_back_near_idle_history_within_its_cap_and_the_abuse_it_survived():
    output = quick_run("soak", timeout=180)
    assert re.search(r"\| Python heap \(tracemalloc\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output), output
    assert "Goal (heap after all closed within 10 % of idle): **met**" in output, output
    assert re.search(r"\| 3,000 \| 1,000 \(1,000\) \|", output), output
    assert "Goal (history within the count cap): **met**" in output, output
    rss = r"\| [\d.]+ \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|"
    never_reader = re.search(
        rf"\| a client that never reads.* {rss} disconnected as a slow consumer; .* got ([\d,]+) of ([\d,]+)", output
    )
    assert never_reader, output
    assert never_reader[1] == never_reader[2], "the subscriber that reads got every message"
    assert re.search(rf"\| 200 inbox channels with history .* {rss} kept .*; all dropped once expired \|", output), (
        output
    )
    assert re.search(rf"\| a 5 MB WebSocket frame to the dev host's port {rss} ", output), output
    assert re.search(r"\| 2,000 live tokens \| [\d,]+ \| \d+ \| [\d.]+× \|", output), output
    assert "Failed requests: 0." in output, output
