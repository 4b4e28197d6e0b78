"""Rehearsal benchmark (issue 17): hosting and joining in the production rehearsal (tests/stand_ins: the site as
deployed behind an https front door on its Azure name, ably-js on Ably's hostnames over TLS, answered by the emulator)
beside what ``make run`` serves (the dev host with its emulator, plain http, one origin). In fresh browser contexts a
player loads the page and presses Host until the session is acknowledged, then a second page opens the invite link
and presses Join; the pages note the times themselves."""

import contextlib
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.processes import chromium, dev_host, fresh_page
from bench.report import Section, side_by_side
from bench.runner import alternating

REHEARSAL, LOCAL = "production rehearsal ms", "local (`make run`) ms"
STEPS = {"page load → hosted": "hosted", "press Host → hosted": "host_click"}
STEPS |= {"invite link → joined": "joined", "press Join → joined": "join_click"}
# Installed before the page's own scripts: when the player clicked, and the first animation frame that shows the
# session acknowledged, so how fast Playwright polls under load never counts.
WATCH = """(() => {
  document.addEventListener('click', () => { window.benchClickedAt ??= performance.now(); }, { capture: true });
  const check = () => document.querySelector('[data-testid=session]')?.dataset.status === 'acknowledged'
    ? (window.benchAcknowledgedAt = performance.now()) : requestAnimationFrame(check);
  requestAnimationFrame(check);
})();"""


async def _until_acknowledged(browser, site_url: str, path: str, name: str, button: str) -> tuple[float, float, str]:
    """ms from the navigation and from the click on ``button`` to acknowledged; the invite link's path."""
    async with fresh_page(browser, site_url, WATCH) as page:
        await page.goto(path)
        await page.get_by_label("Your name").fill(name)
        await page.get_by_role("button", name=button).click()
        await page.wait_for_function("() => window.benchAcknowledgedAt")
        acknowledged, clicked = await page.evaluate("[window.benchAcknowledgedAt, window.benchClickedAt]")
        link = await page.get_by_test_id("share-link").inner_text() if name == "Host" else ""
        return acknowledged, acknowledged - clicked, urlsplit(link).path


async def measure(runs: int) -> dict[str, list[dict]]:
    from tests.stand_ins.stage import production_stage

    with tempfile.TemporaryDirectory(prefix="bench-rehearsal-") as folder, contextlib.ExitStack() as stack:
        stage = stack.enter_context(production_stage(Path(folder)))
        async with dev_host() as local, chromium() as launch:
            sites = {
                REHEARSAL: (stage.site_url, await launch(*stage.chromium_args())),
                LOCAL: (local.url, await launch()),
            }

            async def host_and_join(target: str) -> dict:
                url, browser = sites[target]
                hosted, host_click, link = await _until_acknowledged(browser, url, "/", "Host", "Host a session")
                joined, join_click, _ = await _until_acknowledged(browser, url, link, "Guest", "Join a session")
                return {"hosted": hosted, "host_click": host_click, "joined": joined, "join_click": join_click}

            return await alternating([REHEARSAL, LOCAL], runs, host_and_join)


async def run(quick: bool) -> Section:
    runs = 1 if quick else 11
    return Section(
        "Production rehearsal: host and join",
        f"{runs} run(s) per configuration, alternating, fresh browser contexts.\n\n"
        f"{side_by_side(await measure(runs), STEPS)}\n\n"
        "Reading: the ratio is what TLS, the front door's extra hop and Ably on another origin than the page add on "
        "this 2-core machine, both measured in the same run (a real deployment adds the network's round trips too).",
    )
