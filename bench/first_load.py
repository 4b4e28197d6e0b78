"""First-load benchmark (issue 11): what a visitor's browser downloads and how soon the page can be used, today (the
Vite build, dist/site) beside the site before Vite (site/ at BASELINE_REF from git, served as written, its libraries
from site/vendor) and a blank page (the floor: the browser, the host and the measuring), each site on a dev host of
its own. Every load is a fresh context (empty cache) of headless Chromium; then the player hosts a session, and what
that loads is counted apart. gzip sizes: each response compressed here, as a CDN serves text."""

import asyncio
import gzip
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.processes import REPO_ROOT, dev_host
from bench.report import RunOptions, Section, table
from bench.stats import Spread, ratio

BASELINE_REF = "8baaed8"  # the last commit before Vite
GOAL_JS_GZIP_KIB, GOAL_TTI_RATIO = 65.0, 0.6  # issue 11: half the 130 KiB before Vite, and 0.6× its time
TODAY, BEFORE, BLANK = "site today (Vite build)", f"site before Vite ({BASELINE_REF})", "blank page (floor)"
SITE_READY = "(b => b && !b.disabled && b.offsetParent !== null)(document.querySelector('[data-testid=host-button]'))"
PAGES = {  # page: (host, path, when it is ready)
    TODAY: ("today", "/", SITE_READY),
    BEFORE: ("before", "/", SITE_READY),
    BLANK: ("before", "/bench-blank.html", "document.readyState === 'complete'"),
}
# Noted by the page itself at the first animation frame it is ready (installed before its own code), so that how
# fast Playwright polls under load never counts; the same for hosting, from the click.
WATCH = """(() => {
  const note = (key, ready, from) => {
    const check = () => (ready() ? (window[key] = performance.now() - from) : requestAnimationFrame(check));
    requestAnimationFrame(check);
  };
  note('benchReadyMs', () => READY, 0);
  const hosted = () => (document.querySelector('[data-testid=session]')?.dataset.status
    ?? document.querySelector('[data-testid=client-status]')?.textContent.trim()) === 'acknowledged'  // before Vite
    && document.querySelector('[data-testid=share-qr]');
  const click = () => note('benchHostedMs', hosted, performance.now());
  document.addEventListener('click', click, { capture: true, once: true });
})();"""

FIRST_LOAD = ["page", "interactive ms", "requests", "JS KiB gzip", "all KiB gzip", "other origins", "scripts"]
HOSTING = ["page", "press Host → hosted ms", "requests", "JS KiB gzip", "scripts"]
File = tuple[str, int]  # resource type, gzip bytes


@dataclass
class Load:
    interactive_ms: float
    files: dict[str, File]  # path → file, before anyone hosts
    other_origins: list[str] = field(default_factory=list)  # on first load and when hosting
    hosted_ms: float = float("nan")
    hosting_files: dict[str, File] = field(default_factory=dict)


def baseline_site(folder: Path) -> Path:
    """The site before Vite, from git history, with a blank page beside it."""
    archive = subprocess.run(["git", "archive", BASELINE_REF, "site"], cwd=REPO_ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "site" / "bench-blank.html").write_text("<!DOCTYPE html><title>blank</title>\n")
    return folder / "site"


async def _files(responses: list, origin: str) -> dict[str, File]:
    ours = [response for response in responses if response.url.startswith(origin)]
    bodies = [await response.body() for response in ours]
    return {
        urlsplit(response.url).path: (response.request.resource_type, len(gzip.compress(body)))
        for response, body in zip(ours, bodies, strict=True)
    }


async def _load_once(browser, base_url: str, page_name: str) -> Load:
    _, path, ready = PAGES[page_name]
    context = await browser.new_context(base_url=base_url)
    try:
        await context.add_init_script(WATCH.replace("READY", ready))
        page = await context.new_page()
        responses: list = []
        urls: list[str] = []  # every request and WebSocket
        page.on("response", lambda response: responses.append(response))
        page.on("request", lambda request: urls.append(request.url))
        page.on("websocket", lambda ws: urls.append(ws.url))
        await page.goto(path, wait_until="commit")
        interactive = await (await page.wait_for_function("() => window.benchReadyMs", timeout=30_000)).json_value()
        await page.wait_for_load_state("networkidle")
        load = Load(interactive, await _files(responses, base_url))
        if page_name != BLANK:
            first = len(responses)
            await page.fill("#friendly-name", "Bench")
            await page.click("[data-testid=host-button]")
            load.hosted_ms = await (
                await page.wait_for_function("() => window.benchHostedMs", timeout=30_000)
            ).json_value()
            await page.wait_for_load_state("networkidle")
            load.hosting_files = await _files(responses[first:], base_url)
        ours = (base_url, "ws" + base_url.removeprefix("http"), "data:")
        load.other_origins = [url for url in urls if not url.startswith(ours)]
        return load
    finally:
        await context.close()


async def measure(runs: int) -> dict[str, list[Load]]:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable

    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        async with (
            dev_host() as today,
            dev_host("--site", str(baseline_site(Path(folder)))) as before,
            async_playwright() as pw,
        ):
            hosts = {"today": today.url, "before": before.url}
            browser = await pw.chromium.launch(args=CHROMIUM_ARGS, executable_path=chromium_executable())
            try:
                for name, (host, _, _) in PAGES.items():
                    await _load_once(browser, hosts[host], name)  # warm the hosts and the browser
                results: dict[str, list[Load]] = {name: [] for name in PAGES}
                for _ in range(runs):
                    for name, (host, _, _) in PAGES.items():
                        results[name].append(await _load_once(browser, hosts[host], name))
                return results
            finally:
                await browser.close()


def _kib(files: dict[str, File], scripts_only: bool = True) -> float:
    return sum(size for kind, size in files.values() if kind == "script" or not scripts_only) / 1024


def _scripts(files: dict[str, File]) -> str:
    return ", ".join(f"`{path.rsplit('/', 1)[1]}`" for path, (kind, _) in sorted(files.items()) if kind == "script")


def _row(page: str, ms: Spread, files: dict[str, File], *more) -> list:
    return [page, ms.format(".0f"), len(files), f"{_kib(files):,.1f}", *more, _scripts(files)]


def report(results: dict[str, list[Load]], runs: int) -> str:
    tti = {name: Spread.of(load.interactive_ms for load in loads) for name, loads in results.items()}
    hosted = {name: Spread.of(load.hosted_ms for load in results[name]) for name in (TODAY, BEFORE)}
    last = {name: loads[-1] for name, loads in results.items()}
    js, others = _kib(last[TODAY].files), max(len(load.other_origins) for loads in results.values() for load in loads)
    first_rows = [
        _row(
            name,
            tti[name],
            load.files,
            f"{_kib(load.files, False):,.1f}",
            max(map(len, (e.other_origins for e in loads))),
        )
        for (name, load), loads in zip(last.items(), results.values(), strict=True)
    ]
    hosting_rows = [_row(name, hosted[name], last[name].hosting_files) for name in (TODAY, BEFORE)]
    new, old = tti[TODAY].median, tti[BEFORE].median
    return "\n\n".join(
        [
            f"{runs} load(s) per page, alternating; ms from the navigation (hosting: from the click); other origins: "
            "requests to them, hosting included.",
            table(FIRST_LOAD, first_rows),
            f"Reading: today's first load is **{js:,.1f} KiB** of JavaScript (goal ≤ {GOAL_JS_GZIP_KIB:.0f}: "
            f"{'met' if js <= GOAL_JS_GZIP_KIB else '**missed**'}) and interactive in **{new:.0f} ms**, "
            f"{ratio(new, old)} the site before Vite (goal ≤ {GOAL_TTI_RATIO}×: "
            f"{'met' if new <= GOAL_TTI_RATIO * old else '**missed**'}); requests to other origins: {others}.",
            table(HOSTING, hosting_rows),
            f"Reading: hosting loads the rest ({_kib(last[TODAY].hosting_files):,.1f} KiB of JavaScript today) and "
            f"is hosted in {ratio(hosted[TODAY].median, hosted[BEFORE].median)} the time of the site before Vite.",
        ]
    )


def run(options: RunOptions) -> Section:
    runs = 1 if options.quick else 7
    return Section("First load", report(asyncio.run(measure(runs)), runs))
