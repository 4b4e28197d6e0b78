"""Smoke test of the session benchmark: `python -m bench session --quick` runs both protocols at N = 3 (every
scenario: one after another, a burst and a round of bingo) and reports numbers in every table, and that
Ably's rate limits refused nothing."""

import re

import pytest

from tests.bench.quick_run import quick_run

N = r"[\d,]+(?:\.\d+)?"
VS = rf"({N}) \| ({N}) \| {N}×"  # site | tutorial | ÷

pytestmark = pytest.mark.bench_smoke


@pytest.fixture(scope="module")
def session_report() -> str:
    return quick_run("session", timeout=240)


def numbers(match: re.Match) -> list[float]:
    return [float(value.replace(",", "")) for value in match.groups()]


def test_session_quick_run_compares_session_cost_and_speed_with_the_tutorial(session_report):
    text = session_report
    cost = re.search(rf"^\| 3 \| {VS} \| ({N}) \| ({N}) \| {VS} \| ({N}) \| ({N}) \|$", text, re.M)
    assert cost, f"cost row (deliveries, per join, MB, largest message; site and tutorial) missing:\n{text}"
    assert all(value > 0 for value in numbers(cost)), text
    speed = re.search(rf"^\| 3 \| {VS} \| {VS} \| {VS} \|$", text, re.M)
    assert speed, f"speed row (join p50, p99, burst, each site and tutorial) missing:\n{text}"
    assert all(value > 0 for value in numbers(speed)), text
    for protocol in ("site", "tutorial"):
        phases = re.search(rf"^\| 3 \| {protocol} \| ({N}) \| ({N}) \| ({N}) \|$", text, re.M)
        assert phases, f"{protocol}: where a join's time goes, missing:\n{text}"
        connecting, _, cpu_per_joiner = numbers(phases)
        assert connecting > 0, "connecting takes a token fetch and a WebSocket"
        assert cpu_per_joiner > 0, "a joiner's process runs ably-js and the protocol"
    migration = re.search(rf"^\| 3 \| {N} \| {N} \| ({N}) \| {N} \|$", text, re.M)
    assert migration, f"migration row missing:\n{text}"
    assert numbers(migration)[0] >= 2000, "a crashed host is noticed only after the 2 s presence timeout"
    assert "Failures and peer errors" not in text


def test_session_quick_run_says_what_a_round_of_bingo_costs(session_report):
    table = session_report.partition("### A round of bingo")[2]
    bingo = re.search(rf"^\| 3 \| ({N}) \| ({N}) \| ({N}) \| ({N}) \|$", table, re.M)
    assert bingo, f"bingo row (numbers called, messages published, deliveries, round ms) missing:\n{session_report}"
    calls, published, deliveries, _ = numbers(bingo)
    assert 4 <= calls <= 75, "a line needs at least four numbers; there are 75"
    assert calls < published < deliveries, "each number is published once and delivered to every player"


def test_session_quick_run_stays_within_ablys_rate_limits_for_both_protocols(session_report):
    assert "every scenario, size and run: site **none**, tutorial **none**;" in session_report, session_report
