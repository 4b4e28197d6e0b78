"""Smoke test of the report: `python -m bench token first-load session --quick --out DIR` measures every new
benchmark at tiny sizes (session: N = 3; first load: one load per page) and writes a report whose tables hold
numbers, and the plots it links."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"[\d,]+(?:\.\d+)?"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.bench_smoke


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("bench-report")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "token", "first-load", "session", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,  # within make bench-smoke's --timeout 300; first-load also serves the site before Vite
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    report = (out / "README.md").read_text()
    return report, out


def section(report: str, name: str) -> str:
    match = re.search(rf"<!-- bench:{name} start -->\n(.*?)<!-- bench:{name} end -->", report, re.DOTALL)
    assert match, f"no {name} section in:\n{report}"
    return match.group(1)


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_quick_report_names_the_machine_and_the_versions_measured(quick_report):
    report, _ = quick_report
    for what in ("CPU", "memory", "OS", "Python", "Node", "ably-js", "Vue", "aiohttp", "Chromium"):
        row = re.search(rf"^\| {re.escape(what)} \| (.+) \|$", report, re.MULTILINE)
        assert row, f"{what} missing:\n{report}"
        assert row.group(1).strip() not in ("", "unknown", "not installed"), f"{what} missing:\n{report}"
    assert "**Quick mode:**" in report
    assert re.search(r"at commit (?:[0-9a-f]{12}|unknown)", report), "a tarball has no commit to name"
    assert re.search(r"load average \(1/5/15 min\) [\d.]+ / [\d.]+ / [\d.]+ before", report)


def test_quick_report_times_the_token_endpoint_beside_its_baselines(quick_report):
    text = section(quick_report[0], "token")
    call = re.search(rf"^\| createTokenRequest\?session=… \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER})× \|$", text, re.M)
    assert call, text
    assert 0 < number(call.group(1)) <= number(call.group(2)), text
    rate = re.search(rf"^\| /api/createTokenRequest\?session=… \| ({NUMBER}) \| {NUMBER}× \|", text, re.M)
    assert rate, text
    assert number(rate.group(1)) > 0, text
    assert re.search(rf"^\| `import function_app` \| {NUMBER} \| {NUMBER}× \|$", text, re.M), text
    assert "Failed requests: 0." in text


def test_quick_report_measures_first_load_of_the_build_beside_the_site_before_vite(quick_report):
    text = section(quick_report[0], "first-load")
    rows = {}
    for page in ("site today", "site before Vite", "blank page"):
        row = re.search(
            rf"^\| {page} \([^)]+\) \| ({NUMBER}) \| {NUMBER} \| (\d+) \| "
            rf"({NUMBER}) \(({NUMBER})\) \| {NUMBER} \({NUMBER}\) \| (\d+) \|$",
            text,
            re.M,
        )
        assert row, f"{page} row missing:\n{text}"
        assert number(row.group(1)) > 0
        assert row.group(5) == "0", f"the first load of the {page} must not touch another origin"
        rows[page] = row
    assert 0 < number(rows["site today"].group(4)) < number(rows["site today"].group(3)), "gzip is smaller than raw"
    assert number(rows["site today"].group(4)) < number(rows["site before Vite"].group(4)), "less JavaScript"
    assert re.search(rf"^First-load JavaScript \(gzip\): \*\*{NUMBER} KiB\*\*, {NUMBER}× the", text, re.M), text
    assert re.search(rf"^Time to interactive: \*\*{NUMBER} ms\*\*, {NUMBER}× the {NUMBER} ms before Vite", text, re.M)
    assert re.search(
        r"^\| site today \(Vite build\) \| first load \| `/assets/index-[\w-]+\.js` \| script \|", text, re.M
    )


def test_quick_report_hosts_a_session_that_loads_ably_js_and_the_qr_code_only_then(quick_report):
    text = section(quick_report[0], "first-load")
    for page in ("site today", "site before Vite"):
        row = re.search(rf"^\| {page} \([^)]+\) \| ({NUMBER}) \| \d+ \| {NUMBER} \({NUMBER}\) \| (\d+) \|$", text, re.M)
        assert row, f"{page} hosting row missing:\n{text}"
        assert number(row.group(1)) > 0
        assert row.group(2) == "0", f"hosting on the {page} must not touch another origin"
    for chunk in ("ably", "qrcode"):
        hosting = rf"^\| site today \(Vite build\) \| hosting \| `/assets/{chunk}-[\w-]+\.js` \| script \|"
        first_load = rf"^\| site today \(Vite build\) \| first load \| `/assets/{chunk}-"
        assert re.search(hosting, text, re.M), f"{chunk} chunk not loaded when hosting:\n{text}"
        assert not re.search(first_load, text, re.M), f"{chunk} chunk in the first load:\n{text}"
    assert "Requests to other origins: **0** (required: 0)" in text


def test_quick_report_compares_session_cost_and_speed_with_the_tutorial(quick_report):
    text = section(quick_report[0], "session")
    for protocol in ("site", "tutorial"):
        cost = re.search(rf"^\| 3 \| {protocol} \| ({NUMBER}) \| ({NUMBER}) \| {NUMBER} \| ({NUMBER}) \|", text, re.M)
        assert cost, text
        assert all(number(cost.group(column)) > 0 for column in (1, 2, 3)), text
        speed = re.search(
            rf"^\| 3 \| {protocol} \| ({NUMBER}) \| {NUMBER} \| ({NUMBER}) \| {NUMBER} \| "
            rf"({NUMBER}) \| {NUMBER} \| 1 \|$",
            text,
            re.M,
        )
        assert speed, f"{protocol} speed row missing or not converged to one host:\n{text}"
    assert re.search(rf"^\| 3 \| {NUMBER}× \| {NUMBER}× \|$", text, re.M), "site/tutorial ratios missing"
    migration = re.search(
        rf"^\| 3 \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \|$", text, re.M
    )
    assert migration, f"migration row missing:\n{text}"
    assert number(migration.group(2)) >= 2000, "a crashed host is noticed only after the 2 s presence timeout"
    assert "Failures and peer errors" not in text


def test_quick_report_times_the_burst_beside_the_tutorial_with_the_peers_cpu_per_join(quick_report):
    text = section(quick_report[0], "session")
    for protocol in ("site", "tutorial"):
        row = rf"^\| 3 \| {protocol} \| {NUMBER} \| ({NUMBER})× \| {NUMBER} \| {NUMBER} \| {NUMBER} \| ({NUMBER}) \|$"
        burst = re.search(row, text, re.M)
        assert burst, f"{protocol} burst row missing:\n{text}"
        assert number(burst.group(2)) > 0, "peers' CPU per join"
    assert "A burst of 3 joins converges to one agreed host in" in text


def test_quick_report_shows_a_connected_flood_coalesced_and_the_largest_message_of_a_long_session(quick_report):
    text = section(quick_report[0], "session")
    flood = re.search(
        r"^\| 50 `connected` from one player at once: snapshots the host sent back \| (\d+) \|", text, re.M
    )
    assert flood, text
    assert 1 <= int(flood.group(1)) <= 3
    longest = re.search(
        rf"^\| largest message in a session of 3 streams \(27 words\).*\| ({NUMBER}) B \| 1,024 B \|$", text, re.M
    )
    assert longest, text
    assert number(longest.group(1)) < 1024


def test_quick_report_links_only_plots_it_wrote(quick_report):
    report, out = quick_report
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert {"token-endpoint.png", "first-load.png", "session-cost.png", "session-speed.png"} <= set(images)
    for image in images:
        assert (out / image).read_bytes().startswith(PNG_SIGNATURE), image
