"""Failure drills benchmark (issue 17): how long each drill of tests/browser/rehearsal that starts at a press of Host
takes to reach its one clear state (and, where the page comes back by itself, to connect), beside the same press
with nothing wrong; timed in the drills' own tests (bench/tested.py). Network-loss drills measure Ably's timers:
their tests check them."""

from bench.report import Section, Spread, ratio, table
from bench.runner import alternating
from bench.tested import pages_of, timelines, when

TESTS = [
    "tests/browser/rehearsal/test_drill_ably_unreachable.py",
    "tests/browser/rehearsal/test_drill_key_refused.py",
    "tests/browser/rehearsal/test_drill_site_server.py",
    "tests/browser/rehearsal/test_production_rehearsal.py",
]
ONLY = "-k", "not longer_than_ably and not outlives_its_tokens and not primary_host_down"  # no press of Host to time
BASELINE, BACK, STAYS = "nothing wrong (baseline)", "connected", "(stays until fixed)"
DRILLS = {  # what goes wrong: (part of its test's node id, the situation shown, the one it reaches by itself)
    BASELINE: ("test_three_players", "connected", ""),
    "Ably's names not found (DNS)": ("[dns-failure", "unreachable", ""),
    "connections to Ably refused": ("[connection-refused", "unreachable", ""),
    "Ably's certificate not trusted (TLS)": ("[untrusted-tls", "unreachable", ""),
    "key refused: unknown key": ("[unknown-key", "key-refused", ""),
    "key refused: wrong secret": ("[wrong-secret", "key-refused", ""),
    "key refused: revoked key": ("[revoked-key", "key-refused", ""),
    "token endpoint 500 ×5": ("failing_for_a_while", "server-problem", BACK),
    "token endpoint never answers": ("does_not_answer", "server-problem", BACK),
    "token endpoint answers a page": ("answering_a_page", "server-problem", BACK),
    "cold start: first /api call 8 s": ("cold_start", "server-slow", BACK),
}


async def every_drill(_: str) -> dict[str, dict]:
    """One run of every drill's test: per drill, ms from the press of Host to its clear state, and to its recovery."""
    found, shown = await timelines(*ONLY, "-p", "no:randomly", *TESTS), {}
    for label, (key, clear, recovered) in DRILLS.items():
        for page in pages_of(found, key)[:1]:  # the player who presses Host
            clicked = when(page, "click host-button") or 0.0
            if cleared := when(page, f"shown .*/{clear}", clicked):
                shown[label] = {"clear": cleared - clicked}
                if recovered and (back := when(page, f"shown .*/{recovered}", cleared)):
                    shown[label]["recovered"] = back - clicked
    return shown


async def run(quick: bool) -> Section:
    runs, rows = 1 if quick else 3, []
    samples = (await alternating(["all"], runs, every_drill, warm_up=False))["all"]
    baseline = Spread.of(sample.get(BASELINE, {}).get("clear") for sample in samples).median
    for label, (_, clear, recovered) in DRILLS.items():
        shown, then = (Spread.of(s.get(label, {}).get(key) for s in samples) for key in ("clear", "recovered"))
        rows.append([label, clear, shown.format(".0f"), ratio(shown.median, baseline)])
        rows[-1] += [recovered, then.format(".0f")] if recovered else ["" if clear == BACK else STAYS, ""]
    header = ["what goes wrong", "the page shows", "click → shown", "× baseline", "then, by itself", "click → then"]
    return Section(
        "Drills",
        f"{runs} run(s) of each drill's test, ms from the click on Host (n/a: the test failed); situations as "
        f"site/connection-status.js names them.\n\n{table(header, rows)}\n\nReading: Ably unreachable or refusing the "
        "key is said as fast as the baseline connects; the API's faults take what the fault takes (its retries, the "
        "page's 8 s timeout); timed in the drills' tests since 2026-12-06 (the baseline: the rehearsal's host, two "
        "friends' pages open), on this 2-core machine.",
    )
