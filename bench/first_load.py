"""First-load benchmark (issue 11): what a visitor's browser downloads and how soon the page can be used, today (the
Vite build, dist/site) beside the site before Vite (site/ at BASELINE_REF from git, served as written, its libraries
from site/vendor) and a blank page (the floor: the browser, the host and the measuring), each site on a dev host of
its own. Every load is a fresh context (empty cache) of headless Chromium; then the player hosts a session, and what
that loads is counted apart. gzip sizes: each response compressed here, as a CDN serves text."""

import gzip
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.processes import REPO_ROOT, chromium, dev_host
from bench.report import Section, Spread, ratio, table
from bench.runner import alternating

BASELINE_REF = "8baaed8"  # the last commit before Vite
GOAL_TTI_RATIO = 0.6  # issue 11: interactive in 0.6× the time of the site before Vite
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
File = tuple[str, int]  # resource type, gzip bytes


async def _files(responses: list, origin: str) -> dict[str, File]:
    ours = [response for response in responses if response.url.startswith(origin)]
    return {urlsplit(r.url).path: (r.request.resource_type, len(gzip.compress(await r.body()))) for r in ours}


async def _load_once(fresh_page, base_url: str, page_name: str) -> dict:
    """ms to interactive, the files loaded, then (not the blank page) ms to hosted and the files hosting loaded; and
    every request or WebSocket to another origin."""
    async with fresh_page(base_url, WATCH.replace("READY", PAGES[page_name][2])) as page:
        responses: list = []
        urls: list[str] = []
        page.on("response", lambda response: responses.append(response))
        for event in ("request", "websocket"):
            page.on(event, lambda sent: urls.append(sent.url))
        await page.goto(PAGES[page_name][1], wait_until="commit")
        load = {"ms": await (await page.wait_for_function("() => window.benchReadyMs")).json_value()}
        await page.wait_for_load_state("networkidle")
        load |= {"files": await _files(responses, base_url), "hosted_ms": float("nan"), "hosting": {}}
        if page_name != BLANK:
            first = len(responses)
            await page.fill("#friendly-name", "Bench")
            await page.click("[data-testid=host-button]")
            load["hosted_ms"] = await (await page.wait_for_function("() => window.benchHostedMs")).json_value()
            await page.wait_for_load_state("networkidle")
            load["hosting"] = await _files(responses[first:], base_url)
        ours = (base_url, "ws" + base_url.removeprefix("http"), "data:")
        return load | {"origins": [url for url in urls if not url.startswith(ours)]}


def baseline_site(folder: str) -> str:
    """The site before Vite, from git history, with a blank page beside it."""
    archive = subprocess.run(["git", "archive", BASELINE_REF, "site"], cwd=REPO_ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    (Path(folder) / "site" / "bench-blank.html").write_text("<!DOCTYPE html><title>blank</title>\n")
    return f"{folder}/site"


async def measure(runs: int) -> dict[str, list[dict]]:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        async with dev_host() as today, dev_host("--site", baseline_site(folder)) as before, chromium() as fresh_page:
            hosts = {"today": today.url, "before": before.url}
            return await alternating(
                list(PAGES), runs, lambda name: _load_once(fresh_page, hosts[PAGES[name][0]], name)
            )


def _kib(files: dict[str, File], scripts_only: bool = True) -> float:
    return sum(size for kind, size in files.values() if kind == "script" or not scripts_only) / 1024


def _row(page: str, ms: Spread, files: dict[str, File], *more) -> list:
    scripts = ", ".join(f"`{path.rsplit('/', 1)[1]}`" for path, (kind, _) in sorted(files.items()) if kind == "script")
    return [page, ms.format(".0f"), len(files), f"{_kib(files):,.1f}", *more, scripts]


async def run(quick: bool) -> Section:
    runs = 1 if quick else 7
    results = await measure(runs)
    ms = {name: Spread.of(load["ms"] for load in loads) for name, loads in results.items()}
    hosted = {name: Spread.of(load["hosted_ms"] for load in results[name]) for name in (TODAY, BEFORE)}
    last = {name: loads[-1] for name, loads in results.items()}
    others = {name: max(len(load["origins"]) for load in loads) for name, loads in results.items()}
    first = [_row(n, ms[n], last[n]["files"], f"{_kib(last[n]['files'], False):,.1f}", others[n]) for n in last]
    header = ["page", "interactive ms", "requests", "JS KiB gzip", "all KiB gzip", "other origins", "scripts"]
    hosting = ["page", "press Host → hosted ms", "requests", "JS KiB gzip", "scripts"]
    new, old = ms[TODAY].median, ms[BEFORE].median
    return Section(
        "First load",
        f"""{runs} load(s) per page, alternating; ms from the navigation (hosting: from the click); other origins: \
requests to them, hosting included.

{table(header, first)}

Reading: today's first load is interactive in {ratio(new, old)} the time of the site before Vite, in the same run on \
this 2-core machine (goal ≤ {GOAL_TTI_RATIO}×: **{"met" if new <= GOAL_TTI_RATIO * old else "missed"}**); its \
JavaScript's budget (65 KiB) is tested in tests/deploy/test_site_build.py.

{table(hosting, [_row(name, hosted[name], last[name]["hosting"]) for name in (TODAY, BEFORE)])}

Reading: hosting loads the rest, and is hosted in {ratio(hosted[TODAY].median, hosted[BEFORE].median)} the time of \
the site before Vite.""",
    )
