"""Smoke test of the drills benchmark: `python -m bench drills --quick` runs every failure drill once (the network
losses at a tenth of Ably's timings) and reports the time each takes to its clear state, beside the baseline."""

import re

import pytest

from tests.bench.quick_run import quick_run

DRILLS = {
    "nothing wrong (baseline)": "Connected",
    "Ably's names not found (DNS)": "Cannot reach Ably",
    "connections to Ably refused": "Cannot reach Ably",
    "Ably's certificate not trusted (TLS)": "Cannot reach Ably",
    "key refused: unknown key": "This site's Ably key is not accepted",
    "key refused: wrong secret": "This site's Ably key is not accepted",
    "key refused: revoked key": "This site's Ably key is not accepted",
    "token endpoint 500 ×5": "This site's server is not answering properly",
    "token endpoint never answers": "This site's server is not answering properly",
    "token endpoint answers a page": "This site's server is not answering properly",
    "cold start: first /api call 8 s": "Waiting for this site's server",
}

pytestmark = pytest.mark.bench_smoke


def test_drills_quick_run_times_every_drill_to_its_clear_state_and_the_network_losses_to_recovery():
    output = quick_run("drills", timeout=240)
    for drill, words in DRILLS.items():
        row = re.search(rf"^\| {re.escape(drill)} \| {re.escape(words)} \| (\d+) \| (\d+\.\d\d)× \|", output, re.M)
        assert row, f"no row for {drill}:\n{output}"
        assert float(row.group(1)) > 0, output
    for lost, connection in (("5 s", "resumed"), ("30 s", "resumed"), ("3 min", "new (the old one had expired)")):
        row = re.search(
            rf"^\| {lost} \| Connection lost[^|]* \| (\d+) \| (\d+) \| {re.escape(connection)} \|$", output, re.M
        )
        assert row, f"no row for a network lost {lost}:\n{output}"
    assert re.search(r"^\| 3 min \| [^|]*Offline for a while \d+ \|", output, re.M), output
