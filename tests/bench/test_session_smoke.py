"""Smoke test of the session benchmark: `python -m bench session --quick` runs both protocols at N = 3 (every
scenario: one after another, a burst, the election, a flood and a long session) and reports numbers in every table."""

import re

import pytest

from tests.bench.quick_run import quick_run

NUMBER = r"[\d,]+(?:\.\d+)?"

pytestmark = pytest.mark.bench_smoke


@pytest.fixture(scope="module")
def session_report() -> str:
    return quick_run("session", timeout=240)


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_session_quick_run_compares_session_cost_and_speed_with_the_tutorial(session_report):
    text = session_report
    cost = re.search(
        rf"^\| 3 \| ({NUMBER}) \| ({NUMBER}) \| {NUMBER}× \| ({NUMBER}) \| ({NUMBER}) \| {NUMBER}× \|", text, re.M
    )
    assert cost, f"cost row missing:\n{text}"
    assert all(number(cost.group(column)) > 0 for column in (1, 2, 3, 4)), text
    ratios = rf"({NUMBER}) \| ({NUMBER}) \| {NUMBER}×"
    speed = re.search(rf"^\| 3 \| {ratios} \| {ratios} \| {ratios} \| ({NUMBER}) \|$", text, re.M)
    assert speed, f"speed row (join p50, p99, burst, each site and tutorial, and the election) missing:\n{text}"
    assert all(number(value) > 0 for value in speed.groups()), text
    for protocol in ("site", "tutorial"):
        phases = re.search(rf"^\| 3 \| {protocol} \| ({NUMBER}) \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \|$", text, re.M)
        assert phases, f"{protocol}: where a join's time goes, missing:\n{text}"
        assert number(phases.group(1)) > 0, "connecting takes a token fetch and a WebSocket"
    migration = re.search(rf"^\| 3 \| {NUMBER} \| {NUMBER} \| ({NUMBER}) \| {NUMBER} \|$", text, re.M)
    assert migration, f"migration row missing:\n{text}"
    assert number(migration.group(1)) >= 2000, "a crashed host is noticed only after the 2 s presence timeout"
    assert "Failures and peer errors" not in text


def test_session_quick_run_gives_the_peers_cpu_per_join_in_a_burst_beside_the_tutorials(session_report):
    text = session_report
    # CPU is counted in clock ticks, so a tiny burst may show 0.0; a number (not n/a) says it was measured.
    cpu = re.search(rf"^\| 3 \| {NUMBER} \| {NUMBER} \| ({NUMBER}×|n/a) \| {NUMBER} \| {NUMBER} \|$", text, re.M)
    assert cpu, f"burst CPU row missing:\n{text}"


def test_session_quick_run_shows_a_connected_flood_coalesced_and_the_largest_message_of_a_long_session(session_report):
    text = session_report
    flood = re.search(
        r"^\| snapshots the host sends back for 50 `connected` from one player at once \| (\d+) \|", text, re.M
    )
    assert flood, text
    assert 1 <= int(flood.group(1)) <= 3
    longest = re.search(
        rf"^\| largest message after 3 streams, a newcomer's snapshot included \| ({NUMBER}) B \| 1,024 B \|$",
        text,
        re.M,
    )
    assert longest, text
    assert number(longest.group(1)) < 1024
