"""Smoke test of the drills benchmark: `python -m bench drills --quick` runs every failure drill once and reports the
time each takes to its clear state, beside the baseline."""

import re

import pytest

from tests.bench.quick_run import quick_run

DRILLS = {
    "nothing wrong (baseline)": "connected",
    "Ably's names not found (DNS)": "unreachable",
    "connections to Ably refused": "unreachable",
    "Ably's certificate not trusted (TLS)": "unreachable",
    "key refused: unknown key": "key-refused",
    "key refused: wrong secret": "key-refused",
    "key refused: revoked key": "key-refused",
    "token endpoint 500 ×5": "server-problem",
    "token endpoint never answers": "server-problem",
    "token endpoint answers a page": "server-problem",
    "cold start: first /api call 8 s": "server-slow",
}

pytestmark = pytest.mark.bench_smoke


def test_drills_quick_run_times_every_drill_to_its_clear_state_beside_the_baseline():
    output = quick_run("drills", timeout=240)
    for drill, situation in DRILLS.items():
        row = re.search(rf"^\| {re.escape(drill)} \| {situation} \| (\d+) \| (\d+\.\d\d)× \|", output, re.M)
        assert row, f"no row for {drill}:\n{output}"
        assert float(row.group(1)) > 0, output
