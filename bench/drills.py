"""Failure drills benchmark (issue 17): how long each drill of tests/browser/rehearsal that starts at a press of
Host takes to reach its one clear state, beside the same press with nothing wrong, on the production rehearsal
(tests/stand_ins). Each press is a fresh browser context; the page notes when the player clicked and every situation
it showed (site/connection-status.js), so Playwright's polling never counts. (The network-loss drills measure Ably's
own timers; tests/browser/rehearsal/test_drill_network_loss*.py hold the page to them.)"""

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import RunOptions, Section, table
from bench.stats import Spread, ratio

WATCH = """(() => {
  window.benchSituations = [];
  document.addEventListener('click', (event) => {
    if (event.target.closest?.('[data-testid=host-button]')) window.benchClickedAt ??= Date.now();
  }, { capture: true });
  new MutationObserver(() => {
    for (const badge of document.querySelectorAll('[data-testid=connection-state]')) {
      const seen = `${badge.dataset.state ?? '-'}/${badge.dataset.situation}`;
      if (window.benchSituations.at(-1)?.[1] !== seen) window.benchSituations.push([Date.now(), seen]);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();"""
# The first time at or after `since` that the page showed `situation`.
FIRST_SHOWN = """([situation, since]) =>
  window.benchSituations.find(([at, seen]) => at >= since && seen.endsWith(`/${situation}`))?.[0]"""
TIMEOUT_MS = 60_000
TOKENS = "/api/createTokenRequest"
TOKEN_ATTEMPTS = 4  # site/ably-client.js: one failure more and Ably's own retry (15 s later) is needed too
BASELINE = "nothing wrong (baseline)"
KEY_STAGES: dict[str, dict[str, Any]] = {
    "unknown-key": {"site_key": "rehearsal.unknownkey:a-key-ably-never-issued"},
    "wrong-secret": {"site_key": "rehearsal.stagekey:not-the-secret-ably-has"},
    "revoked-key": {"emulator_args": ["--revoked-key", "rehearsal.stagekey"]},
}
DRILL_HEADER = ["what goes wrong", "the page shows", "click → shown", "× baseline", "then, by itself", "click → then"]


@dataclass(frozen=True)
class Drill:
    """What goes wrong when a player presses Host (on which stage, for which of the browser's resolvers, which faults of
    the API), the situation the page must show (`clear`), and the one it reaches by itself once the fault is over."""

    label: str
    clear: str
    stage: str = "deployed"
    resolver: str | None = None
    faults: tuple[tuple[str, Any], ...] = ()
    recovered: str | None = None


def drills() -> list[Drill]:
    from tests.stand_ins.front_door import NO_ANSWER, Fault

    error = Fault(status=500, body='{"error": {"code": "unavailable", "message": "The API is starting"}}')
    proxy_page = Fault(status=200, body="<!doctype html><p>This site is starting.</p>", content_type="text/html")
    fault_drills = {
        f"token endpoint 500 ×{TOKEN_ATTEMPTS + 1}": ("server-problem", TOKENS, (error,) * (TOKEN_ATTEMPTS + 1)),
        "token endpoint never answers": ("server-problem", TOKENS, (NO_ANSWER,)),
        "token endpoint answers a page": ("server-problem", TOKENS, (proxy_page,)),
        "cold start: first /api call 8 s": ("server-slow", "/api/clientConfig", (Fault(delay=8.0),)),
    }
    return [
        Drill(BASELINE, "connected"),
        Drill("Ably's names not found (DNS)", "unreachable", resolver="dns"),
        Drill("connections to Ably refused", "unreachable", resolver="refused"),
        Drill("Ably's certificate not trusted (TLS)", "unreachable", resolver="tls"),
        *(Drill(f"key refused: {name.replace('-', ' ')}", "key-refused", stage=name) for name in KEY_STAGES),
        *(
            Drill(label, clear, faults=((path, faults),), recovered="connected")
            for label, (clear, path, faults) in fault_drills.items()
        ),
    ]


def _shown_at(page, situation: str, since: float) -> float:
    return page.wait_for_function(FIRST_SHOWN, arg=[situation, since], timeout=TIMEOUT_MS).json_value()


def _run_drill(drill: Drill, browser, stage) -> tuple[float, float | None]:
    for path, faults in drill.faults:
        stage.front_door.fail(path, *faults)
    context = browser.new_context(base_url=stage.site_url)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Your name").fill("Drill")
        page.get_by_role("button", name="Host a session").click()
        clicked = page.evaluate("() => window.benchClickedAt")
        shown = _shown_at(page, drill.clear, clicked) - clicked
        return shown, _shown_at(page, drill.recovered, clicked) - clicked if drill.recovered else None
    finally:
        context.close()


@contextlib.contextmanager
def _stages(folder: Path) -> Iterator[dict[str, Any]]:
    """Every stage the drills need, running: as deployed, and one per refused key."""
    from tests.stand_ins.stage import production_stage

    with contextlib.ExitStack() as stack:
        stages = {}
        for name, options in {"deployed": {}, **KEY_STAGES}.items():
            (folder / name).mkdir()
            stages[name] = stack.enter_context(production_stage(folder / name, **options))
        yield stages


def measure(runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per drill, ms from the click to its clear state, and to its recovery."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable
    from tests.stand_ins.hostnames import ABLY_HOSTS

    clear: dict[str, list[float]] = {}
    recovered: dict[str, list[float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-drills-") as folder,
        _stages(Path(folder)) as stages,
        sync_playwright() as pw,
        contextlib.ExitStack() as browsers,
    ):
        launched = {}  # (stage, resolver): a Chromium with the rehearsal's rules, Ably's names failing as said
        for drill in drills():
            stage, key = stages[drill.stage], (drill.stage, drill.resolver)
            failing = {"dns": None, "refused": stage.refused, "tls": stage.untrusted_tls}
            rules = stage.host_rules(dict.fromkeys(ABLY_HOSTS, failing[drill.resolver]) if drill.resolver else None)
            flags = [*CHROMIUM_ARGS, *stage.chromium_args(rules)]
            launched[key] = pw.chromium.launch(args=flags, executable_path=chromium_executable())
            browsers.callback(launched[key].close)
        _run_drill(drills()[0], launched["deployed", None], stages["deployed"])  # warm up
        for _ in range(runs):
            for drill in drills():
                shown, then = _run_drill(drill, launched[drill.stage, drill.resolver], stages[drill.stage])
                clear.setdefault(drill.label, []).append(shown)
                if then is not None:
                    recovered.setdefault(drill.label, []).append(then)
    return clear, recovered


def report(clear: dict[str, list[float]], recovered: dict[str, list[float]], runs: int) -> str:
    baseline = Spread.of(clear[BASELINE]).median
    rows = [
        [
            drill.label,
            drill.clear,
            Spread.of(clear[drill.label]).format(".0f"),
            ratio(Spread.of(clear[drill.label]).median, baseline),
            drill.recovered or ("" if drill.clear == "connected" else "(stays until fixed)"),
            Spread.of(recovered.get(drill.label, [])).format(".0f") if drill.recovered else "",
        ]
        for drill in drills()
    ]
    return "\n\n".join(
        [
            f"{runs} run(s) of each drill, ms from the click on Host; situations as site/connection-status.js names "
            "them.",
            table(DRILL_HEADER, rows),
            "Reading: Ably unreachable or refusing the key is said as fast as the baseline connects; the API's faults "
            "take what the fault takes (its retries, the page's 8 s timeout).",
        ]
    )


def run(options: RunOptions) -> Section:
    runs = 1 if options.quick else 3
    return Section("Drills", report(*measure(runs), runs))
