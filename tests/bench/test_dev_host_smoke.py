"""Smoke test of the dev host benchmark: `python -m bench dev-host --quick` joins peers through the dev host's port
and on the emulator's own, within Ably's connection rate, and reports their ratio."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke


def test_dev_host_quick_run_reports_joins_through_the_port_beside_the_emulators_own():
    output = quick_run("dev-host", timeout=180)
    assert re.search(r"\| one join, p50 \(ms\) \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output), output
    assert re.search(r"\| `GET /time` with all 30 connected, p50 \(ms\) \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", output)
