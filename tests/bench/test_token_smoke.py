"""Smoke test of the token endpoint benchmark: `python -m bench token --quick` loads the endpoint through the dev host
beside a function that signs nothing, and times the app's cold import beside the Functions library's."""

import re

import pytest

from tests.bench.quick_run import quick_run

pytestmark = pytest.mark.bench_smoke
NUMBER = r"[\d,]+"


def test_token_quick_run_reports_requests_per_second_and_cold_imports_beside_their_baselines():
    output = quick_run("token", timeout=120)
    rate = re.search(rf"^\| requests/s \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \| [\d.]+× \|$", output, re.M)
    assert rate, output
    assert float(rate.group(1).replace(",", "")) > 0, output
    assert re.search(r"^\| cold import in a fresh interpreter, ms \| \d+ \| \d+ \| \d+ \| [\d.]+× \|$", output, re.M)
    assert "(failed requests: 0)" in output, output
