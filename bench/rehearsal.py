"""Rehearsal benchmark: hosting and joining in the production rehearsal beside the local configuration, in one run.

The rehearsal is the site as deployed (tests/stand_ins, imported from the tests: the production stage): the build
and the staged API behind an https front door on the site's Azure name, ably-js on Ably's production hostnames over
TLS, answered by the emulator through Chromium's resolver rules. The baseline is what `make run` serves: `python -m
devserver` with its emulator, plain http, one origin (started as the browser tests start it, tests/browser). Each is
opened by a headless Chromium of its own with the tests' flags (the rehearsal's adds its resolver rules).

Per run and configuration, in fresh browser contexts (an empty cache, as a first visit): a page loads, the player
types a name and presses Host, until the page shows the session acknowledged; then a second page opens the invite
link, types a name and presses Join, until acknowledged. The pages note the times themselves (at the first animation
frame that shows it), from the navigation's start and from the click. Runs alternate between the configurations,
after one warm-up run each.
"""

import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench import plots
from bench.report import RunOptions, Section
from bench.stats import Spread, ratio

REHEARSAL = "production rehearsal (https, Ably's hostnames over TLS)"
LOCAL = "local (python -m devserver, emulator, http)"
STEPS = {
    "hosted_ms": "page load → hosted",
    "host_click_ms": "press Host → hosted",
    "joined_ms": "invite link → joined",
    "join_click_ms": "press Join → joined",
}
# Installed before the page's own scripts: the page notes when the player clicked, and the first animation frame at
# which it shows the session acknowledged, so how fast Playwright polls under load never counts.
WATCH = """(() => {
  document.addEventListener('click', () => { window.benchClickedAt ??= performance.now(); }, { capture: true });
  const check = () => {
    const status = document.querySelector('[data-testid=client-status]');
    if (status?.textContent.trim() === 'acknowledged') window.benchAcknowledgedAt = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class RehearsalSettings:
    runs: int = 11


QUICK = RehearsalSettings(runs=1)


@dataclass
class Run:
    """One host and one join: milliseconds from each page's navigation, and from each click."""

    hosted_ms: float
    host_click_ms: float
    joined_ms: float
    join_click_ms: float


@dataclass
class Results:
    runs: dict[str, list[Run]] = field(default_factory=lambda: {REHEARSAL: [], LOCAL: []})

    def spread(self, configuration: str, step: str) -> Spread:
        return Spread.of(getattr(run, step) for run in self.runs[configuration])


def _until_acknowledged(browser, site_url: str, path: str, name: str, button: str) -> tuple[float, float, str]:
    """Open `path` in a fresh context, type `name`, press `button`: ms to acknowledged from the navigation and from
    the click, and the session's invite link path."""
    context = browser.new_context(base_url=site_url)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(path)
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name=button).click()
        page.wait_for_function("() => window.benchAcknowledgedAt", timeout=TIMEOUT_MS)
        acknowledged, clicked = page.evaluate("[window.benchAcknowledgedAt, window.benchClickedAt]")
        link = urlsplit(page.get_by_test_id("share-link").inner_text()).path
        return acknowledged, acknowledged - clicked, link
    finally:
        context.close()


def _host_and_join(browser, site_url: str) -> Run:
    hosted, host_click, link = _until_acknowledged(browser, site_url, "/", "Host", "Host a session")
    joined, join_click, _ = _until_acknowledged(browser, site_url, link, "Guest", "Join a session")
    return Run(hosted, host_click, joined, join_click)


@contextmanager
def _configurations(folder: Path) -> Iterator[dict[str, tuple[str, list[str]]]]:
    """Both configurations running: each one's site URL, and the Chromium flags that reach it."""
    from tests.browser.conftest import running_dev_host
    from tests.stand_ins.stage import production_stage

    with production_stage(folder) as stage, running_dev_host() as local:
        yield {REHEARSAL: (stage.site_url, stage.chromium_args()), LOCAL: (local.url, [])}


def measure(settings: RehearsalSettings) -> Results:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable

    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="bench-rehearsal-") as folder,
        _configurations(Path(folder)) as configurations,
        sync_playwright() as pw,
    ):
        # One Chromium each, alike but for the rehearsal's flags: its resolver rules map every other name, loopback
        # addresses included, to nowhere.
        browsers = {
            name: pw.chromium.launch(args=[*CHROMIUM_ARGS, *flags], executable_path=chromium_executable())
            for name, (_, flags) in configurations.items()
        }
        try:
            for name, (url, _) in configurations.items():
                _host_and_join(browsers[name], url)  # warm up the hosts, the API and the browser
            for run in range(settings.runs):
                for name in [REHEARSAL, LOCAL] if run % 2 == 0 else [LOCAL, REHEARSAL]:
                    results.runs[name].append(_host_and_join(browsers[name], configurations[name][0]))
        finally:
            for browser in browsers.values():
                browser.close()
    return results


def _paired(results: Results, step: str) -> float:
    """Run by run: the median of each run's rehearsal time over the local time measured beside it."""
    return statistics.median(
        getattr(rehearsal, step) / getattr(local, step)
        for rehearsal, local in zip(results.runs[REHEARSAL], results.runs[LOCAL], strict=True)
    )


def report(results: Results, settings: RehearsalSettings, image: str) -> str:
    lines = [
        f"{settings.runs} run{'s' if settings.runs > 1 else ''} per configuration, alternating, after one warm-up "
        "each; fresh browser contexts (empty cache) for every page. Medians in ms, spread (lowest–highest run) in "
        "brackets.",
        "",
        f"| step | {REHEARSAL} | {LOCAL} | ratio (medians) | ratio (run by run, median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for step, label in STEPS.items():
        rehearsal, local = results.spread(REHEARSAL, step), results.spread(LOCAL, step)
        lines.append(
            f"| {label} | {rehearsal.format('.0f')} | {local.format('.0f')} | {ratio(rehearsal.median, local.median)} "
            f"| {_paired(results, step):.2f}× |"
        )
    lines += [
        "",
        f"Run by run (each rehearsal run beside the local run next to it, under much the same load of the machine), "
        f"hosting takes **{_paired(results, 'hosted_ms'):.2f}×** and joining **{_paired(results, 'joined_ms'):.2f}×** "
        "the local configuration's time in the rehearsal, from the page's load. On a loaded machine single runs "
        "vary by a factor of two or more (the spreads): compare these ratios rather than the milliseconds.",
        "",
        "What the rehearsal adds: TLS on every connection (the page, the API, ably-js's token exchange and its "
        "WebSocket), a second proxy hop for the page and the API (the https front door, as Azure's edge, before the "
        "dev host), and ably-js on Ably's hostnames, so its token exchange and WebSocket go to another origin than "
        "the page (locally they share the page's). What it takes away: Ably is the emulator in both, but here it "
        "runs in a process of its own, met directly, while `python -m devserver` runs it inside the dev host and "
        "relays every frame through the dev host's port. Everything runs on this machine: a real deployment adds the "
        "network's round trips, which this cannot show. Page load → hosted includes the page's first load and "
        "the typing (Playwright's, the same in both); press → hosted/joined is the click to the first frame "
        "showing the session acknowledged: ably-js loaded, a token, the connection, presence and the host's answer.",
        "",
        f"![Host and join, rehearsal and local]({image})",
    ]
    return "\n".join(lines)


def plot(results: Results, out_dir: Path) -> str:
    fig, axes = plots.panels(len(STEPS), 13.0, 3.0)
    short = {REHEARSAL: "rehearsal", LOCAL: "local"}
    for each, (step, label) in zip(axes, STEPS.items(), strict=True):
        plots.spread_bars(
            each,
            list(short.values()),
            [results.spread(configuration, step) for configuration in short],
            f"{label} (ms)",
        )
    fig.suptitle("Host and join in headless Chromium: the production rehearsal beside the local dev host", fontsize=10)
    return plots.save(fig, out_dir, "rehearsal.png")


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else RehearsalSettings()
    results = measure(settings)
    image = plot(results, options.out_dir)
    return Section(title="Production rehearsal: host and join", body=report(results, settings, image), plots=[image])
