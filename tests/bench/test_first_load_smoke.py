"""Smoke test of the first-load benchmark: `python -m bench first-load --quick` loads today's build beside the site
before Vite and a blank page; today's loads less JavaScript, without ably-js or the QR code, and nothing comes from
another origin."""

import re

import pytest

from tests.bench.quick_run import quick_run

NUMBER = r"[\d,]+(?:\.\d+)?"

pytestmark = pytest.mark.bench_smoke


def kib(text: str) -> float:
    return float(text.replace(",", ""))


def test_first_load_quick_run_measures_the_build_beside_the_site_before_vite():
    output = quick_run("first-load", timeout=180)
    first = {}
    for page in ("site today", "site before Vite", "blank page"):
        row = re.search(
            rf"^\| {page} \([^)]+\) \| ({NUMBER}) \| \d+ \| ({NUMBER}) \| {NUMBER} \| (\d+) \| ([^|]*) \|$",
            output,
            re.M,
        )
        assert row, f"{page} row missing:\n{output}"
        assert row.group(3) == "0", f"the first load of the {page} must not touch another origin"
        first[page] = row
    assert kib(first["site today"].group(2)) < kib(first["site before Vite"].group(2)), "less JavaScript"
    assert re.search(r"`index-[\w-]+\.js`", first["site today"].group(4)), output
    assert not re.search(r"ably|qrcode", first["site today"].group(4)), "ably-js and the QR code wait for hosting"
    assert re.search(r"interactive in [\d.]+× the time of the site before Vite", output), output
