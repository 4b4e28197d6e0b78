"""Benchmarks timed in the browser tests that play their scenarios (issue 17; tests/timings.py records each page's
timeline; a failed test gives no sample): ``rehearsal``, host and join in the production rehearsal beside ``make
run``; ``drills``, each failure drill from a press of Host to its one clear state, beside the same press, no fault."""

import asyncio
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from bench.processes import REPO_ROOT
from bench.report import Section, Spread, ratio, side_by_side, table
from bench.runner import alternating

Timeline = list[list]  # [[ms, "click host-button" | "acknowledged" | "shown state/situation"], ...]
REHEARSAL = {  # configuration: the test that plays a host and two friends joining there
    "production rehearsal ms": "tests/browser/rehearsal/test_production_rehearsal.py::test_three_players_and_a_python_"
    "peer_play_over_https_and_wss_only_and_outlive_the_host_closing_its_tab",
    "local (`make run`) ms": "tests/browser/test_session.py::test_every_page_shows_all_three_players_acknowledged_and_"
    "the_whole_phrase_only_the_host_can_stream",
}
STEPS = {"page load → hosted": "hosted", "press Host → hosted": "host_click", "press Join → joined": "join_click"}
DRILL_TESTS = [
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


async def timelines(*args: str) -> dict[str, list[Timeline]]:
    """One pytest run (``args``: the tests, options): the pages' timelines of each test that passed, by node id;
    what failed is printed."""
    with tempfile.TemporaryDirectory(prefix="bench-tests-") as folder:
        out = Path(folder) / "timings.jsonl"
        command = [sys.executable, "-m", "pytest", "-p", "tests.timings", "--timings", str(out), "-q", *args]
        done = await asyncio.to_thread(subprocess.run, command, cwd=REPO_ROOT, capture_output=True, text=True)
        records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    if done.returncode:
        print(f"{' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-1000:]}", file=sys.stderr, flush=True)
    pages: dict[str, list[Timeline]] = {}
    for record in records:
        if record["passed"]:
            pages.setdefault(record["test"], []).append(record["events"])
    return pages


def pages_of(found: dict[str, list[Timeline]], key: str) -> list[Timeline]:
    """The pages of the test whose node id contains ``key``, in the order it opened them; none if it failed."""
    return next((pages for test, pages in found.items() if key in test), [])


def when(events: Timeline, pattern: str, since: float = 0.0) -> float | None:
    """The first time at or after ``since`` that a page noted something matching ``pattern``."""
    return next((at for at, what in events if at >= since and re.fullmatch(pattern, what)), None)


async def host_and_join(configuration: str) -> dict:
    """The host's page load and press of Host until acknowledged, and the friends' presses of Join (median)."""
    host, *friends = pages_of(await timelines(REHEARSAL[configuration]), "::") or [[]]
    if not (hosted := when(host, "acknowledged")) or not friends:
        return {}
    joins = [(when(page, "acknowledged") or 0) - (when(page, "click join-button") or 0) for page in friends]
    host_click = hosted - (when(host, "click host-button") or 0)
    return {"hosted": hosted, "host_click": host_click, "join_click": median(joins)}


async def rehearsal(quick: bool) -> Section:
    runs = 1 if quick else 11
    samples = await alternating(list(REHEARSAL), runs, host_and_join, warm_up=False)
    failed = sum(not sample for runs_ in samples.values() for sample in runs_)
    return Section(
        "Production rehearsal: host and join",
        f"{runs} run(s) per configuration, alternating, of the test that plays a host and two friends joining there "
        f"(failed test runs, left out: {failed}).\n\n{side_by_side(samples, STEPS)}\n\nReading: the ratio is what "
        "TLS, the front door's extra hop and Ably on another origin add on this 2-core machine, both in the same run, "
        "two friends' pages open while the host's loads.",
    )


async def every_drill() -> dict[str, dict]:
    """One run of every drill's test: per drill, ms from the press of Host to its clear state, and to its recovery."""
    found, shown = await timelines(*ONLY, "-p", "no:randomly", *DRILL_TESTS), {}
    for label, (key, clear, recovered) in DRILLS.items():
        for page in pages_of(found, key)[:1]:  # the player who presses Host
            clicked = when(page, "click host-button") or 0.0
            if cleared := when(page, f"shown .*/{clear}", clicked):
                shown[label] = {"clear": cleared - clicked}
                if recovered and (back := when(page, f"shown .*/{recovered}", cleared)):
                    shown[label]["recovered"] = back - clicked
    return shown


async def drills(quick: bool) -> Section:
    runs, rows = 1 if quick else 3, []
    samples = [await every_drill() for _ in range(runs)]
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
        "page's 8 s timeout); the baseline is the rehearsal's host, two friends' pages open, on this 2-core machine.",
    )
