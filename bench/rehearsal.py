"""Rehearsal benchmark (issue 17): hosting and joining in the production rehearsal (tests/stand_ins: the site as
deployed behind an https front door, ably-js on Ably's hostnames over TLS, answered by the emulator) beside what
``make run`` serves (the dev host, plain http, one origin): a host and two friends joining, timed in the browser
test that plays it in each configuration (bench/tested.py)."""

from statistics import median

from bench.report import Section, side_by_side
from bench.runner import alternating
from bench.tested import pages_of, timelines, when

TESTS = {  # configuration: the test that plays the scenario there
    "production rehearsal ms": "tests/browser/rehearsal/test_production_rehearsal.py::test_three_players_and_a_python_"
    "peer_play_over_https_and_wss_only_and_outlive_the_host_closing_its_tab",
    "local (`make run`) ms": "tests/browser/test_session.py::test_every_page_shows_all_three_players_acknowledged_and_"
    "the_whole_phrase_only_the_host_can_stream",
}
STEPS = {"page load → hosted": "hosted", "press Host → hosted": "host_click", "press Join → joined": "join_click"}


async def host_and_join(configuration: str) -> dict:
    """The host's page load and press of Host until acknowledged, and the friends' presses of Join (median)."""
    host, *friends = pages_of(await timelines(TESTS[configuration]), "::") or [[]]
    if not (hosted := when(host, "acknowledged")) or not friends:
        return {}
    joins = [(when(page, "acknowledged") or 0) - (when(page, "click join-button") or 0) for page in friends]
    return {
        "hosted": hosted,
        "host_click": hosted - (when(host, "click host-button") or 0),
        "join_click": median(joins),
    }


async def run(quick: bool) -> Section:
    runs = 1 if quick else 11
    samples = await alternating(list(TESTS), runs, host_and_join, warm_up=False)
    failed = sum(not sample for runs_ in samples.values() for sample in runs_)
    return Section(
        "Production rehearsal: host and join",
        f"{runs} run(s) per configuration, alternating, of the test that plays a host and two friends joining there "
        f"(failed test runs, left out: {failed}).\n\n{side_by_side(samples, STEPS)}\n\nReading: the ratio is what "
        "TLS, the front door's extra hop and Ably on another origin add on this 2-core machine, both in the same run; "
        "timed in the tests' pages since 2026-12-06 (before, in pages of their own; now two friends' pages are open "
        "while the host's loads).",
    )
