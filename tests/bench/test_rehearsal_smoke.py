"""Smoke test of the rehearsal benchmark: `python -m bench rehearsal --quick` times the tests that host and join in
both configurations."""

import re

import pytest

from tests.bench.quick_run import quick_run

STEPS = ("page load → hosted", "press Host → hosted", "press Join → joined")

pytestmark = pytest.mark.bench_smoke


def test_rehearsal_quick_run_reports_host_and_join_times_in_both_configurations_and_their_ratio():
    output = quick_run("rehearsal", timeout=240)
    for step in STEPS:
        row = re.search(rf"^\| {step} \| (\d+) \| (\d+) \| (\d+\.\d\d)× \|$", output, re.MULTILINE)
        assert row, f"no row for {step}:\n{output}"
        assert all(float(value) > 0 for value in row.groups()), output
