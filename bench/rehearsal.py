"""Rehearsal benchmark (issue 17): hosting and joining in the production rehearsal (tests/stand_ins: the site as
deployed behind an https front door on its Azure name, ably-js on Ably's hostnames over TLS, answered by the emulator)
beside what ``make run`` serves (the dev host with its emulator, plain http, one origin). In fresh browser contexts a
player loads the page and presses Host until the session is acknowledged, then a second page opens the invite link
and presses Join; the pages note the times themselves. Runs alternate between the configurations after a warm-up."""

import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from bench.report import RunOptions, Section, table
from bench.stats import Spread, ratio

REHEARSAL, LOCAL = "production rehearsal", "local (`make run`)"
HOST = "Host a session"
STEPS = ("page load → hosted", "press Host → hosted", "invite link → joined", "press Join → joined")
# Installed before the page's own scripts: when the player clicked, and the first animation frame that shows the
# session acknowledged, so how fast Playwright polls under load never counts.
WATCH = """(() => {
  document.addEventListener('click', () => { window.benchClickedAt ??= performance.now(); }, { capture: true });
  const check = () => document.querySelector('[data-testid=session]')?.dataset.status === 'acknowledged'
    ? (window.benchAcknowledgedAt = performance.now()) : requestAnimationFrame(check);
  requestAnimationFrame(check);
})();"""


def _until_acknowledged(browser, site_url: str, path: str, name: str, button: str) -> tuple[float, float, str]:
    """ms from the navigation and from the click on ``button`` to acknowledged; the host's invite link's path."""
    context = browser.new_context(base_url=site_url)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(path)
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name=button).click()
        page.wait_for_function("() => window.benchAcknowledgedAt")
        acknowledged, clicked = page.evaluate("[window.benchAcknowledgedAt, window.benchClickedAt]")
        link = urlsplit(page.get_by_test_id("share-link").inner_text()).path if button == HOST else ""
        return acknowledged, acknowledged - clicked, link
    finally:
        context.close()


def _host_and_join(browser, site_url: str) -> list[float]:
    hosted, host_click, link = _until_acknowledged(browser, site_url, "/", "Host", HOST)
    joined, join_click, _ = _until_acknowledged(browser, site_url, link, "Guest", "Join a session")
    return [hosted, host_click, joined, join_click]


def measure(runs: int) -> dict[str, list[list[float]]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, running_dev_host
    from tests.browser_path import chromium_executable
    from tests.stand_ins.stage import production_stage

    with tempfile.TemporaryDirectory(prefix="bench-rehearsal-") as folder, ExitStack() as stack:
        stage = stack.enter_context(production_stage(Path(folder)))
        local = stack.enter_context(running_dev_host())
        pw = stack.enter_context(sync_playwright())
        sites = {}  # configuration: (site URL, its Chromium: the rehearsal's with its resolver rules)
        for name, url, flags in ((REHEARSAL, stage.site_url, stage.chromium_args()), (LOCAL, local.url, [])):
            browser = pw.chromium.launch(args=[*CHROMIUM_ARGS, *flags], executable_path=chromium_executable())
            stack.callback(browser.close)
            sites[name] = (url, browser)
            _host_and_join(browser, url)  # warm up the hosts, the API and the browser
        results: dict[str, list[list[float]]] = {REHEARSAL: [], LOCAL: []}
        for run in range(runs):
            for name in [REHEARSAL, LOCAL][:: 1 if run % 2 == 0 else -1]:
                url, browser = sites[name]
                results[name].append(_host_and_join(browser, url))
        return results


def report(results: dict[str, list[list[float]]], runs: int) -> str:
    rows = []
    for index, step in enumerate(STEPS):
        rehearsal, local = (Spread.of(run[index] for run in results[name]) for name in (REHEARSAL, LOCAL))
        rows.append([step, rehearsal.format(".0f"), local.format(".0f"), ratio(rehearsal.median, local.median)])
    return "\n\n".join(
        [
            f"{runs} run(s) per configuration, alternating, fresh browser contexts; ms.",
            table(["step", f"{REHEARSAL} ms", f"{LOCAL} ms", "ratio"], rows),
            "Reading: the ratio is what TLS, the front door's extra hop and Ably on another origin than the page add "
            "on this machine (a real deployment adds the network's round trips too).",
        ]
    )


def run(options: RunOptions) -> Section:
    runs = 1 if options.quick else 11
    return Section("Production rehearsal: host and join", report(measure(runs), runs))
