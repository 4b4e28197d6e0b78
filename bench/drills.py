"""Failure drills benchmark (issue 17): how long each failure drill takes to reach its one clear state, beside the
time the same press of Host takes to connect when nothing goes wrong, measured in the same run.

The drills are those of tests/browser/rehearsal/test_drill_*.py, on the production rehearsal (tests/stand_ins,
imported from the tests: the site as deployed, behind an https front door on its Azure name, ably-js on Ably's
production hostnames answered by the emulator over TLS): Ably unreachable (its names not found, connections refused,
a certificate nobody trusts), Ably refusing the site's key (unknown, wrong secret, revoked: a stage each), this
site's token endpoint failing (500 until Ably's own retry, no answer, a proxy's page) and a cold start of the API
(the first call takes 8 s). Each press of Host is a fresh browser context; the page notes, with the wall clock, when
the player clicked and when each situation first showed (site/connection-status.js), so Playwright's polling never
counts. The network-loss drills (a player's network lost for 5 s, 30 s and 3 minutes in a session of two) run at
Ably's real timings, once each: the time from the loss to what the page says, and from the network's return to
connected and to being back in the other player's roster. `--quick` shortens them and the stand-in Ably's timings
to a tenth, as the tests do.
"""

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import RunOptions, Section
from bench.stats import Spread, ratio

# Noted by the page from before its own scripts run: the click on Host, every situation (with Ably's state), every
# roster, each with Date.now(), which both pages of a session share.
WATCH = """(() => {
  window.benchSituations = [];
  window.benchRosters = [];
  document.addEventListener('click', (event) => {
    if (event.target.closest?.('[data-testid=host-button]')) window.benchClickedAt ??= Date.now();
  }, { capture: true });
  new MutationObserver(() => {
    for (const badge of document.querySelectorAll('[data-testid=connection-state]')) {
      const seen = `${badge.dataset.state ?? '-'}/${badge.dataset.situation}`;
      if (window.benchSituations.at(-1)?.[1] !== seen) window.benchSituations.push([Date.now(), seen]);
    }
    const names = [...document.querySelectorAll('[data-testid=roster-name]')].map((name) => name.textContent);
    const roster = names.sort().join(',');
    if (roster && window.benchRosters.at(-1)?.[1] !== roster) window.benchRosters.push([Date.now(), roster]);
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();"""
# The first time at or after `since` that the page showed `situation`.
FIRST_SHOWN = """([situation, since]) =>
  window.benchSituations.find(([at, seen]) => at >= since && seen.endsWith(`/${situation}`))?.[0]"""
# When the page listed `roster` again from `since` on: `since` itself if it never stopped listing it.
LISTED_AGAIN = """([roster, since]) => {
  const before = window.benchRosters.filter(([at]) => at < since).at(-1);
  if (before?.[1] === roster) return since;
  return window.benchRosters.find(([at, seen]) => at >= since && seen === roster)?.[0];
}"""
TIMEOUT_MS = 60_000
TOKENS = "/api/createTokenRequest"
TOKEN_ATTEMPTS = 4  # site/ably-client.js: one failure more and Ably's own retry (15 s later) is needed too


@dataclass(frozen=True)
class Drill:
    """Something that goes wrong when a player presses Host: where (`stage`, `resolver`: which of Ably's names fail
    how, for this browser; `faults`: how the API misbehaves), and the situation the page must end in (`clear`),
    then the one it reaches by itself once the fault is over (`recovered`), or until when it stays (`stays`)."""

    label: str
    clear: str
    stage: str = "deployed"
    resolver: str | None = None
    faults: tuple[tuple[str, Any], ...] = ()
    recovered: str | None = None
    stays: str = ""


@dataclass(frozen=True)
class NetworkLoss:
    label: str
    seconds: float


@dataclass(frozen=True)
class DrillSettings:
    runs: int = 3
    scale: float = 1.0  # the network losses and the stand-in Ably's timings, as a fraction of Ably's


QUICK = DrillSettings(runs=1, scale=0.1)
BASELINE = "nothing wrong (baseline)"
KEY_STAGES: dict[str, dict[str, Any]] = {
    "unknown-key": {"site_key": "rehearsal.unknownkey:a-key-ably-never-issued"},
    "wrong-secret": {"site_key": "rehearsal.stagekey:not-the-secret-ably-has"},
    "revoked-key": {"emulator_args": ["--revoked-key", "rehearsal.stagekey"]},
}
LOSSES = (NetworkLoss("5 s", 5.0), NetworkLoss("30 s", 30.0), NetworkLoss("3 min", 180.0))
WORDS = {
    "connected": "Connected",
    "unreachable": "Cannot reach Ably",
    "key-refused": "This site's Ably key is not accepted",
    "server-problem": "This site's server is not answering properly",
    "server-slow": "Waiting for this site's server",
    "reconnecting": "Connection lost. Reconnecting by itself",
    "offline": "Offline for a while",
}


def drills() -> list[Drill]:
    from tests.stand_ins.front_door import NO_ANSWER, Fault

    server_error = Fault(status=500, body='{"error": {"code": "unavailable", "message": "The API is starting"}}')
    proxy_page = Fault(status=200, body="<!doctype html><p>This site is starting.</p>", content_type="text/html")
    return [
        Drill(BASELINE, "connected"),
        *(
            Drill(label, "unreachable", resolver=resolver, stays="(until Ably can be reached)")
            for label, resolver in (
                ("Ably's names not found (DNS)", "dns"),
                ("connections to Ably refused", "refused"),
                ("Ably's certificate not trusted (TLS)", "tls"),
            )
        ),
        *(
            Drill(f"key refused: {name.replace('-', ' ')}", "key-refused", stage=name, stays="(until the key is fixed)")
            for name in KEY_STAGES
        ),
        Drill(
            f"token endpoint 500 ×{TOKEN_ATTEMPTS + 1}",
            "server-problem",
            faults=((TOKENS, (server_error,) * (TOKEN_ATTEMPTS + 1)),),
            recovered="connected",
        ),
        Drill(
            "token endpoint never answers", "server-problem", faults=((TOKENS, (NO_ANSWER,)),), recovered="connected"
        ),
        Drill(
            "token endpoint answers a page", "server-problem", faults=((TOKENS, (proxy_page,)),), recovered="connected"
        ),
        Drill(
            "cold start: first /api call 8 s",
            "server-slow",
            faults=(("/api/clientConfig", (Fault(delay=8.0),)),),
            recovered="connected",
        ),
    ]


@dataclass
class Results:
    """Per drill, ms from the click to its clear state and to its recovery; per network loss, one Loss."""

    clear_ms: dict[str, list[float]] = field(default_factory=dict)
    recovered_ms: dict[str, list[float]] = field(default_factory=dict)
    losses: dict[str, "Loss"] = field(default_factory=dict)


@dataclass(frozen=True)
class Loss:
    """ms from the loss to each situation the page showed during it, and from the network's return to connected and
    to the player listed again in the other player's roster; whether the connection resumed."""

    shown_ms: dict[str, float]
    connected_ms: float
    back_in_roster_ms: float
    resumed: bool


class Browsers:
    """One Chromium per stage and resolver (the rehearsal's flags), launched when first needed."""

    def __init__(self, pw, stages: dict[str, Any]) -> None:
        from tests.browser.conftest import CHROMIUM_ARGS
        from tests.browser_path import chromium_executable
        from tests.stand_ins.hostnames import ABLY_HOSTS

        self._launch = lambda flags: pw.chromium.launch(
            args=[*CHROMIUM_ARGS, *flags], executable_path=chromium_executable()
        )
        self._hosts = ABLY_HOSTS
        self._stages = stages
        self._open: dict[tuple[str, str | None], Any] = {}

    def get(self, stage_name: str, resolver: str | None):
        key = (stage_name, resolver)
        if key not in self._open:
            stage = self._stages[stage_name]
            failing = {"dns": None, "refused": stage.refused, "tls": stage.untrusted_tls}
            rules = stage.host_rules(dict.fromkeys(self._hosts, failing[resolver]) if resolver else None)
            self._open[key] = self._launch(stage.chromium_args(rules))
        return self._open[key]

    def close(self) -> None:
        for browser in self._open.values():
            browser.close()


@contextlib.contextmanager
def _page(browser, site_url: str, path: str = "/") -> Iterator[Any]:
    context = browser.new_context(base_url=site_url)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(path)
        yield page
    finally:
        context.close()


def _shown_at(page, situation: str, since: float, timeout_ms: float = TIMEOUT_MS) -> float:
    return page.wait_for_function(FIRST_SHOWN, arg=[situation, since], timeout=timeout_ms).json_value()


def _press_host(page, name: str) -> float:
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Host a session").click()
    return page.evaluate("() => window.benchClickedAt")


def _run_drill(drill: Drill, browsers: Browsers, stages: dict[str, Any]) -> tuple[float, float | None]:
    stage = stages[drill.stage]
    for path, faults in drill.faults:
        stage.front_door.fail(path, *faults)
    with _page(browsers.get(drill.stage, drill.resolver), stage.site_url) as page:
        clicked = _press_host(page, "Drill")
        clear = _shown_at(page, drill.clear, clicked) - clicked
        recovered = _shown_at(page, drill.recovered, clicked) - clicked if drill.recovered else None
        return clear, recovered


def _connection_id(stage, page) -> str:
    me = page.get_by_test_id("roster-item").filter(has=page.get_by_test_id("me-marker"))
    who = me.get_attribute("data-client-id")
    live = [c for c in stage.control("connections", method="GET") if c["clientId"] == who and c["state"] == "connected"]
    return live[0]["connectionId"]


def _run_loss(loss: NetworkLoss, settings: DrillSettings, browser, stage) -> Loss:
    """Alice hosts, Bob joins; Bob's network is lost for the outage (offline, and his socket dropped by Ably)."""
    from playwright.sync_api import expect

    with _page(browser, stage.site_url) as alice, _page(browser, stage.site_url) as bob:
        _press_host(alice, "Alice")
        expect(alice.get_by_test_id("client-status")).to_have_text("acknowledged", timeout=TIMEOUT_MS)
        bob.goto(alice.get_by_test_id("share-link").inner_text())
        bob.get_by_label("Your name").fill("Bob")
        bob.get_by_role("button", name="Join a session").click()
        expect(bob.get_by_test_id("client-status")).to_have_text("acknowledged", timeout=TIMEOUT_MS)
        before = _connection_id(stage, bob)
        who = bob.get_by_test_id("roster-item").filter(has=bob.get_by_test_id("me-marker"))
        lost_at = bob.evaluate("() => Date.now()")
        bob.context.set_offline(True)
        stage.control(f"connections/drop?clientId={who.get_attribute('data-client-id')}")
        outage_ms = loss.seconds * settings.scale * 1000
        bob.wait_for_timeout(max(0.0, lost_at + outage_ms - bob.evaluate("() => Date.now()")))  # the outage
        back_at = bob.evaluate("() => Date.now()")
        bob.context.set_offline(False)
        connected = _shown_at(bob, "connected", back_at)
        listed = alice.wait_for_function(LISTED_AGAIN, arg=["Alice,Bob", back_at], timeout=TIMEOUT_MS).json_value()
        shown = bob.evaluate(
            "([since, until]) => window.benchSituations.filter(([at]) => at >= since && at < until)", [lost_at, back_at]
        )
        firsts: dict[str, float] = {}
        for at, seen in shown:
            firsts.setdefault(seen.split("/")[1], at - lost_at)
        return Loss(firsts, connected - back_at, listed - back_at, _connection_id(stage, bob) == before)


@contextlib.contextmanager
def _stages(folder: Path, settings: DrillSettings) -> Iterator[dict[str, Any]]:
    """Every stage the drills need, running: as deployed, one per refused key, and (when the network losses are
    shortened) one with the stand-in Ably's timings shortened alike."""
    from tests.stand_ins.stage import production_stage

    options: dict[str, dict[str, Any]] = {"deployed": {}, **KEY_STAGES}
    if settings.scale != 1.0:
        timings = ["--presence-leave-timeout", f"{15 * settings.scale:g}"]
        options["network"] = {"emulator_args": [*timings, "--connection-state-ttl", f"{120 * settings.scale:g}"]}
    with contextlib.ExitStack() as stack:
        started = time.monotonic()
        stages = {}
        for name, stage_options in options.items():
            (folder / name).mkdir()
            stages[name] = stack.enter_context(production_stage(folder / name, **stage_options))
        stages.setdefault("network", stages["deployed"])
        print(f"drills: {len(set(map(id, stages.values())))} stages up in {time.monotonic() - started:.0f} s")
        yield stages


def measure(settings: DrillSettings) -> Results:
    from playwright.sync_api import sync_playwright

    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="bench-drills-") as folder,
        _stages(Path(folder), settings) as stages,
        sync_playwright() as pw,
    ):
        browsers = Browsers(pw, stages)
        try:
            everything = drills()
            _run_drill(everything[0], browsers, stages)  # warm up the host, the API and the browser
            for _ in range(settings.runs):
                for drill in everything:
                    clear, recovered = _run_drill(drill, browsers, stages)
                    results.clear_ms.setdefault(drill.label, []).append(clear)
                    if recovered is not None:
                        results.recovered_ms.setdefault(drill.label, []).append(recovered)
            for loss in LOSSES:
                results.losses[loss.label] = _run_loss(loss, settings, browsers.get("network", None), stages["network"])
        finally:
            browsers.close()
    return results


def report(results: Results, settings: DrillSettings) -> str:
    baseline = Spread.of(results.clear_ms[BASELINE]).median
    lines = [
        f"{settings.runs} run{'s' if settings.runs > 1 else ''} of each drill after one warm-up, a fresh browser "
        "context for each; ms from the click on Host, medians with the spread (lowest–highest run) in brackets. "
        "The ratio is to the baseline, the same press of Host with nothing wrong (to connected).",
        "",
        "| what goes wrong | the page says | click → said (ms) | × baseline | then, by itself | click → then (ms) |",
        "|---|---|---:|---:|---|---:|",
    ]
    for drill in drills():
        clear = Spread.of(results.clear_ms[drill.label])
        then = Spread.of(results.recovered_ms.get(drill.label, []))
        lines.append(
            f"| {drill.label} | {WORDS[drill.clear]} | {clear.format('.0f')} | {ratio(clear.median, baseline)} "
            f"| {WORDS[drill.recovered] if drill.recovered else drill.stays} "
            f"| {then.format('.0f') if drill.recovered else ''} |"
        )
    timings = "Ably's real timings" if settings.scale == 1.0 else f"{settings.scale:g} of Ably's timings"
    lines += [
        "",
        f"Network lost in a session of two, once each at {timings} (the stand-in Ably's presence timeout and "
        "connection TTL, and the outage): ms from the loss to each thing the page said, and from the network's "
        "return to connected and to the player listed again in the other player's roster.",
        "",
        "| network lost for | the page said (ms after the loss) | return → connected (ms) "
        "| return → in the other's roster (ms) | the connection |",
        "|---|---|---:|---:|---|",
    ]
    for label, loss in results.losses.items():
        said = ", ".join(f"{WORDS.get(seen, seen)} {at:.0f}" for seen, at in loss.shown_ms.items())
        lines.append(
            f"| {label} | {said} | {loss.connected_ms:.0f} | {loss.back_in_roster_ms:.0f} "
            f"| {'resumed' if loss.resumed else 'new (the old one had expired)'} |"
        )
    lines += [
        "",
        "Ably unreachable or refusing the key is said as soon as the first token exchange fails (one request to the "
        "site and one to Ably, which fails at once or answers its refusal), as fast as the happy path connects; the "
        "API's faults take what the fault takes (a 500 for every try: the page's four tries within Ably's attempt, "
        "then Ably's own retry up to 15 s later; no answer: the page's 8 s timeout; a cold start: its 8 s, with the "
        "wait said after 2 s). A lost network is said as soon as the browser knows it is offline; Ably suspends the "
        "connection (Offline) after its 2-minute TTL, and within it the connection resumes where it was.",
    ]
    return "\n".join(lines)


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else DrillSettings()
    results = measure(settings)
    return Section(title="Drills", body=report(results, settings))
