"""Smoke test of the token endpoint benchmark: `python -m bench token --quick` loads the endpoint through the dev host
beside a function that signs nothing, times the app's cold import beside the Functions library's, and the emulator's
token requests with many live tokens beside none."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke
NUMBER = r"[\d,]+"


def test_token_quick_run_reports_requests_per_second_cold_imports_and_live_tokens_beside_their_baselines():
    output = quick_run("token", timeout=120)
    rate = re.search(rf"^\| requests/s \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \| [\d.]+× \|$", output, re.M)
    assert rate, output
    assert float(rate.group(1).replace(",", "")) > 0, output
    assert re.search(r"^\| cold import in a fresh interpreter, ms \| \d+ \| \d+ \| \d+ \| [\d.]+× \|$", output, re.M)
    assert re.search(r"^\|  \| 2,000 live tokens \| none issued before \| ratio \|$", output, re.M), output
    assert re.search(rf"^\| emulator `requestToken`/s \| {NUMBER}.* \| {NUMBER}.* \| [\d.]+× \|$", output, re.M), output
    assert "(failed requests, all tables: 0)" in output, output
    assert re.search(
        r"goal, requests/s ≥ 0.9× \(the median of adjacent slices. ratios: [\d.]+×\): \*\*(met|NOT met)\*\*", output
    ), output
