"""First-load benchmark (issue 11): what a visitor's browser downloads and how soon the page can be used, the Vite
build beside the site before Vite (site/ at BASELINE_REF from git, served as written) and a blank page (the floor),
each on a dev host of its own, each load a fresh context of headless Chromium; gzip sizes as a CDN serves text."""

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
# fast Playwright polls under load never counts.
WATCH = """(() => {
  const check = () => (READY ? (window.benchReadyMs = performance.now()) : requestAnimationFrame(check));
  requestAnimationFrame(check);
})();"""


async def _load_once(browser, hosts: dict[str, str], page_name: str) -> dict:
    """In a fresh context (empty cache): ms to interactive, the files loaded, and every request to another origin."""
    base_url = hosts[PAGES[page_name][0]]
    async with await browser.new_context(base_url=base_url) as context:
        await context.add_init_script(WATCH.replace("READY", PAGES[page_name][2]))
        (page := await context.new_page()).set_default_timeout(60_000)
        responses: list = []
        urls: list[str] = []
        page.on("response", lambda response: responses.append(response))
        page.on("request", lambda request: urls.append(request.url))
        await page.goto(PAGES[page_name][1], wait_until="commit")
        ms = await (await page.wait_for_function("() => window.benchReadyMs")).json_value()
        await page.wait_for_load_state("networkidle")
        ours = [response for response in responses if response.url.startswith(base_url)]
        files = {urlsplit(r.url).path: (r.request.resource_type, len(gzip.compress(await r.body()))) for r in ours}
        return {"ms": ms, "files": files, "origins": [url for url in urls if not url.startswith((base_url, "data:"))]}


def baseline_site(folder: str) -> str:
    """The site before Vite, from git history, with a blank page beside it."""
    archive = subprocess.run(["git", "archive", BASELINE_REF, "site"], cwd=REPO_ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    (Path(folder) / "site" / "bench-blank.html").write_text("<!DOCTYPE html><title>blank</title>\n")
    return f"{folder}/site"


async def run(quick: bool) -> Section:
    runs, rows = 1 if quick else 7, []
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        async with dev_host() as today, dev_host("--site", baseline_site(folder)) as before, chromium() as browser:
            hosts = {"today": today.url, "before": before.url}
            results = await alternating(list(PAGES), runs, lambda name: _load_once(browser, hosts, name))
    ms = {name: Spread.of(load["ms"] for load in loads) for name, loads in results.items()}
    for name, loads in results.items():
        files = loads[-1]["files"]  # path: (resource type, gzip bytes)
        scripts = [(path.rsplit("/", 1)[1], size) for path, (kind, size) in sorted(files.items()) if kind == "script"]
        kib = [f"{sum(sizes) / 1024:,.1f}" for sizes in ([s for _, s in scripts], [s for _, s in files.values()])]
        others = max(len(load["origins"]) for load in loads)
        rows.append([name, ms[name].format(".0f"), len(files), *kib, others, ", ".join(f"`{n}`" for n, _ in scripts)])
    header = ["page", "interactive ms", "requests", "JS KiB gzip", "all KiB gzip", "other origins", "scripts"]
    new, old = ms[TODAY].median, ms[BEFORE].median
    return Section(
        "First load",
        f"{runs} load(s) per page, alternating; ms from the navigation.\n\n{table(header, rows)}\n\nReading: today's "
        f"first load is interactive in {ratio(new, old)} the time of the site before Vite, in the same run on this "
        f"2-core machine (goal ≤ {GOAL_TTI_RATIO}×: **{'met' if new <= GOAL_TTI_RATIO * old else 'missed'}**); its "
        "JavaScript's budget (65 KiB) is tested in tests/deploy/test_site_build.py.",
    )
