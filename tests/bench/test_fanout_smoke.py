"""Smoke test of the fan-out benchmark: `python -m bench fanout --quick` runs both servers and reports numbers."""

import re

import pytest

from tests.bench.quick_run import quick_run

ROW = re.compile(
    r"^\| (?P<server>[^|]+?) \| (?P<rate>[\d,]+) \| [\d,]+–[\d,]+ \| (?P<p50>[\d.]+) \| (?P<p99>[\d.]+) "
    r"\| [\d.]+–[\d.]+ \| (?P<lost>\d+) \| (?P<server_cpu>\d+%|n/a) \| (?P<load_cpu>\d+%) \|$",
    re.MULTILINE,
)

pytestmark = pytest.mark.bench_smoke


def test_fanout_quick_run_reports_throughput_and_latency_for_both_servers():
    output = quick_run("fanout", timeout=90)

    rows = {match["server"]: match for match in ROW.finditer(output)}
    assert set(rows) == {"bare aiohttp broadcast", "emulator"}, output
    for server, row in rows.items():
        assert float(row["rate"].replace(",", "")) > 0, f"{server} delivered nothing:\n{output}"
        assert 0 < float(row["p50"]) <= float(row["p99"]), output
        assert row["lost"] == "0", f"{server} lost deliveries:\n{output}"
    assert re.search(r"Emulator / bare throughput: \*\*\d+\.\d\d\*\*", output), output
