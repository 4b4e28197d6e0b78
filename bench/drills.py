"""Failure drills benchmark (issue 17): how long each drill of tests/browser/rehearsal that starts at a press of Host
takes to reach its one clear state, beside the same press with nothing wrong, on the production rehearsal
(tests/stand_ins). The page notes the click and every situation it shows (site/connection-status.js), so
Playwright's polling never counts. (Network-loss drills measure Ably's timers: tests/browser/rehearsal checks them.)"""

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import chromium, fresh_page
from bench.report import Section, Spread, ratio, table
from bench.runner import alternating

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
BASELINE, TOKENS = "nothing wrong (baseline)", "/api/createTokenRequest"
KEYS: dict[str, dict[str, Any]] = {"unknown-key": {"site_key": "rehearsal.unknownkey:a-key-ably-never-issued"}}
KEYS |= {"wrong-secret": {"site_key": "rehearsal.stagekey:not-the-secret-ably-has"}}
KEYS |= {"revoked-key": {"emulator_args": ["--revoked-key", "rehearsal.stagekey"]}}


@dataclass(frozen=True)
class Drill:
    """What goes wrong when a player presses Host (on which stage, for which of the browser's resolvers, which faults
    of the API), the situation the page must show, and the one it reaches by itself once the fault is over."""

    clear: str
    stage: str = "deployed"
    resolver: str | None = None
    faults: tuple = ()  # (path, (Fault, ...))
    recovered: str | None = None


def drills() -> dict[str, Drill]:
    from tests.stand_ins.front_door import NO_ANSWER, Fault

    error = Fault(status=500, body='{"error": {"code": "unavailable", "message": "The API is starting"}}')
    page = Fault(status=200, body="<!doctype html><p>This site is starting.</p>", content_type="text/html")
    every = {BASELINE: Drill("connected"), "Ably's names not found (DNS)": Drill("unreachable", resolver="dns")}
    every["connections to Ably refused"] = Drill("unreachable", resolver="refused")
    every["Ably's certificate not trusted (TLS)"] = Drill("unreachable", resolver="tls")
    every |= {f"key refused: {name.replace('-', ' ')}": Drill("key-refused", stage=name) for name in KEYS}
    # site/ably-client.js tries the token endpoint 4 times; a fifth failure leaves it to Ably's own retry, 15 s later.
    faults = {"token endpoint 500 ×5": (TOKENS, (error,) * 5), "token endpoint never answers": (TOKENS, (NO_ANSWER,))}
    faults["token endpoint answers a page"] = (TOKENS, (page,))
    every |= {label: Drill("server-problem", faults=fault, recovered="connected") for label, fault in faults.items()}
    slow = ("/api/clientConfig", (Fault(delay=8.0),))
    return every | {"cold start: first /api call 8 s": Drill("server-slow", faults=slow, recovered="connected")}


async def measure(runs: int) -> dict[str, list[dict]]:
    """Per drill, ms from the click to its clear state, and to its recovery."""
    from tests.stand_ins.hostnames import ABLY_HOSTS
    from tests.stand_ins.stage import production_stage

    every = drills()
    with tempfile.TemporaryDirectory(prefix="bench-drills-") as folder, contextlib.ExitStack() as stack:
        stages = {}  # every stage the drills need: as deployed, and one per refused key
        for name, options in {"deployed": {}, **KEYS}.items():
            (Path(folder) / name).mkdir()
            stages[name] = stack.enter_context(production_stage(Path(folder) / name, **options))
        async with chromium() as launch:
            browsers = {}  # (stage, resolver): a Chromium with the rehearsal's rules, Ably's names failing as said
            for drill in every.values():
                stage = stages[drill.stage]
                failing = {"dns": None, "refused": stage.refused, "tls": stage.untrusted_tls}
                ably = dict.fromkeys(ABLY_HOSTS, failing[drill.resolver]) if drill.resolver else None
                browsers[drill.stage, drill.resolver] = await launch(*stage.chromium_args(stage.host_rules(ably)))

            async def press_host(label: str) -> dict:
                drill, shown = every[label], {}
                if drill.faults:
                    stages[drill.stage].front_door.fail(drill.faults[0], *drill.faults[1])
                async with fresh_page(
                    browsers[drill.stage, drill.resolver], stages[drill.stage].site_url, WATCH
                ) as page:
                    await page.goto("/")
                    await page.get_by_label("Your name").fill("Drill")
                    await page.get_by_role("button", name="Host a session").click()
                    clicked = await page.evaluate("() => window.benchClickedAt")
                    for key, situation in {"clear": drill.clear, "recovered": drill.recovered}.items():
                        if situation:
                            first = await page.wait_for_function(FIRST_SHOWN, arg=[situation, clicked])
                            shown[key] = await first.json_value() - clicked
                return shown

            await press_host(BASELINE)  # warm up
            return await alternating(list(every), runs, press_host, warm_up=False)


async def run(quick: bool) -> Section:
    runs, rows = 1 if quick else 3, []
    samples = await measure(runs)
    baseline = Spread.of(run["clear"] for run in samples[BASELINE]).median
    for label, drill in drills().items():
        clear, then = (Spread.of(run.get(key) for run in samples[label]) for key in ("clear", "recovered"))
        stays = "" if drill.clear == "connected" else "(stays until fixed)"
        rows.append([label, drill.clear, clear.format(".0f"), ratio(clear.median, baseline), drill.recovered or stays])
        rows[-1].append(then.format(".0f") if drill.recovered else "")
    header = ["what goes wrong", "the page shows", "click → shown", "× baseline", "then, by itself", "click → then"]
    return Section(
        "Drills",
        f"{runs} run(s) of each drill, ms from the click on Host; situations as site/connection-status.js names them."
        f"\n\n{table(header, rows)}\n\nReading: Ably unreachable or refusing the key is said as fast as the baseline "
        "connects; the API's faults take what the fault takes (its retries, the page's 8 s timeout); on this 2-core "
        "machine, the baseline from the same run.",
    )
