"""First-load benchmark: what a visitor's browser downloads and how soon the page can be used, today and before Vite.

Headless Chromium (Playwright, launched as the browser tests launch it) opens the home page of two sites, each
served by its own dev host (``bench.site_host``, the same code and headers): today's build (``dist/site``) and
the site as it was before Vite (``git archive`` of ``BASELINE_REF``: ``site/`` served as written, with Vue,
ably-js and the QR code library from ``site/vendor``), beside a blank page on today's host (the floor: the
browser, the host and the measuring itself). Each load runs in a fresh browser context (empty cache). Per load:
time to interactive (the first animation frame at which the Host button is on screen and enabled; for the blank
page, the document complete), the load event, bytes of every response (raw, and gzip-compressed as a CDN would
serve them) and any request to another origin, which must be none. Then the benchmark hosts a session on each
site and records what that loads (today: the ably-js and QR code chunks) and how long it takes.
"""

import asyncio
import gzip
import io
import os
import statistics
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bench import plots
from bench.processes import REPO_ROOT, ServerProcess, running
from bench.report import RunOptions, Section
from bench.site_host import BLANK_PAGE
from bench.stats import Spread, ratio

BASELINE_REF = "8baaed8"  # the last commit before Vite
GOAL_JS_GZIP_KIB = 65.0  # issue 11: half of the 130 KiB before Vite
GOAL_TTI_RATIO = 0.6
GZIP_LEVEL = 6
TODAY = "site today (Vite build)"
BEFORE = f"site before Vite ({BASELINE_REF})"
BLANK = "blank page (floor)"
SITE_READY = """() => {
  const button = document.querySelector('[data-testid=host-button]');
  return Boolean(button && !button.disabled && button.offsetParent !== null);
}"""
BLANK_READY = "() => document.readyState === 'complete'"
# The page itself notes the first animation frame at which it is ready (installed before any of its own code runs),
# so how fast Playwright's polling reaches the page under load never counts.
WATCH = """(ready) => {
  const check = () => (ready() ? (window.benchReadyAt = performance.now()) : requestAnimationFrame(check));
  requestAnimationFrame(check);
}"""


@dataclass(frozen=True)
class Page:
    """What to open on which host (each site on its own, the floor on today's), and whether to host a session."""

    host: Literal["today", "before"]
    path: str
    ready: str
    hosts_session: bool


PAGES = {
    TODAY: Page("today", "/", SITE_READY, hosts_session=True),
    BEFORE: Page("before", "/", SITE_READY, hosts_session=True),
    BLANK: Page("today", f"/{BLANK_PAGE}", BLANK_READY, hosts_session=False),
}
# Where the wait goes, from the navigation's start: the page's first byte, the last script downloaded, then every
# script run (the DOMContentLoaded event follows the deferred and module scripts), then the load event.
TIMINGS = """() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const scripts = performance.getEntriesByType('resource')
    .filter((entry) => /\\.m?js$/.test(new URL(entry.name).pathname));
  return {
    firstByte: navigation.responseStart,
    scriptsFetched: Math.max(0, ...scripts.map((entry) => entry.responseEnd)),
    domContentLoaded: navigation.domContentLoadedEventEnd,
    loadEvent: navigation.loadEventEnd,
  };
}"""
# From the click on Host to the first animation frame showing the session hosted, noted by the page itself.
WATCH_HOSTING = """(hosted) => document.addEventListener('click', () => {
  const clickedAt = performance.now();
  const check = () =>
    hosted() ? (window.benchHostedMs = performance.now() - clickedAt) : requestAnimationFrame(check);
  requestAnimationFrame(check);
}, { capture: true, once: true })"""
HOSTED = """() => document.querySelector('[data-testid=client-status]')?.textContent.trim() === 'acknowledged'
  && Boolean(document.querySelector('[data-testid=share-qr]'))"""

File = tuple[str, int, int]  # resource type, raw bytes, gzip bytes


@dataclass(frozen=True)
class FirstLoadSettings:
    runs: int = 7


QUICK = FirstLoadSettings(runs=1)


@dataclass
class Load:
    """One page load in a fresh context, then (on a site) hosting a session."""

    interactive_ms: float
    load_event_ms: float
    first_byte_ms: float
    scripts_fetched_ms: float
    dom_content_loaded_ms: float
    script_run_ms: float  # Chromium's main-thread time compiling and running JavaScript (CDP Performance metrics)
    files: dict[str, File] = field(default_factory=dict)  # url → file, before anyone hosts or joins
    other_origins: list[str] = field(default_factory=list)
    hosted_ms: float = float("nan")
    hosting_files: dict[str, File] = field(default_factory=dict)  # url → file, loaded by hosting
    hosting_other_origins: list[str] = field(default_factory=list)

    def total(self, index: Literal[1, 2], scripts_only: bool = False, hosting: bool = False) -> int:
        files = self.hosting_files if hosting else self.files
        return sum(file[index] for file in files.values() if not scripts_only or file[0] == "script")


def baseline_site(folder: Path) -> Path:
    """Today's page before Vite, extracted from git into ``folder``: the site/ folder of BASELINE_REF."""
    try:
        archive = subprocess.run(
            ["git", "archive", BASELINE_REF, "site"], cwd=REPO_ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(
            f"first-load: the baseline is site/ at commit {BASELINE_REF}, taken from git history; run from a clone "
            f"that has it ({error})"
        ) from error
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "site"


async def _files(responses, origin: str) -> dict[str, File]:
    files = {}
    for response in responses:
        if response.url.startswith(origin):
            body = await response.body()
            files[response.url] = (response.request.resource_type, len(body), len(gzip.compress(body, GZIP_LEVEL)))
    return files


async def _load_once(browser, base_url: str, page_to_load: Page) -> Load:
    context = await browser.new_context(base_url=base_url)
    try:
        await context.add_init_script(f"({WATCH})({page_to_load.ready})")
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
        responses: list = []
        other_origins: list[str] = []

        def on_request(request) -> None:
            if not request.url.startswith(origin) and not request.url.startswith("data:"):
                other_origins.append(request.url)

        def on_websocket(socket) -> None:
            if urlsplit(socket.url).netloc != urlsplit(origin).netloc:
                other_origins.append(socket.url)

        page.on("request", on_request)
        page.on("websocket", on_websocket)
        page.on("response", lambda response: responses.append(response))
        await page.goto(page_to_load.path, wait_until="commit")
        interactive_ms = await (await page.wait_for_function("() => window.benchReadyAt", timeout=30_000)).json_value()
        await page.wait_for_load_state("networkidle")
        timings = await page.evaluate(TIMINGS)
        metrics = {metric["name"]: metric["value"] for metric in (await cdp.send("Performance.getMetrics"))["metrics"]}
        first_load = len(responses)
        load = Load(
            interactive_ms=interactive_ms,
            load_event_ms=timings["loadEvent"],
            first_byte_ms=timings["firstByte"],
            scripts_fetched_ms=timings["scriptsFetched"],
            dom_content_loaded_ms=timings["domContentLoaded"],
            script_run_ms=metrics["ScriptDuration"] * 1000,
            files=await _files(responses, origin),
            other_origins=list(other_origins),
        )
        if page_to_load.hosts_session:
            await page.fill("#friendly-name", "Bench")
            await page.evaluate(f"({WATCH_HOSTING})({HOSTED})")
            await page.click("[data-testid=host-button]")
            load.hosted_ms = await (
                await page.wait_for_function("() => window.benchHostedMs", timeout=30_000)
            ).json_value()
            await page.wait_for_load_state("networkidle")
            load.hosting_files = await _files(responses[first_load:], origin)
            load.hosting_other_origins = other_origins[len(load.other_origins) :]
        return load
    finally:
        await context.close()


async def measure(settings: FirstLoadSettings) -> dict[str, list[Load]]:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable

    env = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    ready_line = r"Open (http://\S+?)/?\s*$"
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        before = baseline_site(Path(folder))
        async with (
            running(["bench.site_host"], ready_line, env=env) as today,
            running(["bench.site_host", "--site", str(before)], ready_line, env=env) as old,
            async_playwright() as pw,
        ):
            hosts: dict[str, ServerProcess] = {"today": today, "before": old}
            browser = await pw.chromium.launch(args=CHROMIUM_ARGS, executable_path=chromium_executable())
            try:
                for page in PAGES.values():
                    await _load_once(browser, hosts[page.host].url, page)  # warm the hosts' caches and the browser
                results: dict[str, list[Load]] = {name: [] for name in PAGES}
                for _ in range(settings.runs):
                    for name, page in PAGES.items():
                        results[name].append(await _load_once(browser, hosts[page.host].url, page))
                return results
            finally:
                await browser.close()


def _kib(count: float) -> str:
    return f"{count / 1024:,.1f}"


def _met(met: bool) -> str:
    return "met" if met else "**missed**"


def report(results: dict[str, list[Load]], settings: FirstLoadSettings, image: str) -> str:
    today, before = results[TODAY][-1], results[BEFORE][-1]
    lines = [
        f"Fresh browser context (empty cache) per load, {settings.runs} loads per page, alternating. Both sites are "
        f"served by the same dev host code (`bench.site_host`): today's build from `dist/site`, and the site before "
        f"Vite from `git archive {BASELINE_REF} site` (files as written, Vue, ably-js and the QR code library from "
        "`site/vendor`).",
        "",
        "| page | time to interactive ms | load event ms | requests | JS KiB (gzip) | total KiB (gzip) "
        "| other-origin requests |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    interactive = {}
    for name, loads in results.items():
        interactive[name] = Spread.of(load.interactive_ms for load in loads)
        last = loads[-1]
        lines.append(
            f"| {name} | {interactive[name].format('.0f')} "
            f"| {Spread.of(load.load_event_ms for load in loads).format('.0f')} | {len(last.files)} "
            f"| {_kib(last.total(1, True))} ({_kib(last.total(2, True))}) "
            f"| {_kib(last.total(1))} ({_kib(last.total(2))}) "
            f"| {max(len(load.other_origins) for load in loads)} |"
        )
    new, old, floor = (interactive[name].median for name in (TODAY, BEFORE, BLANK))
    js_new, js_old = today.total(2, True), before.total(2, True)
    pairs = [a.interactive_ms / b.interactive_ms for a, b in zip(results[TODAY], results[BEFORE], strict=True)]
    paired = statistics.median(pairs)
    lines += [
        "",
        f"First-load JavaScript (gzip): **{_kib(js_new)} KiB**, {ratio(js_new, js_old)} the {_kib(js_old)} KiB "
        f"before Vite (goal ≤ {GOAL_JS_GZIP_KIB:.0f} KiB: {_met(js_new <= GOAL_JS_GZIP_KIB * 1024)}).",
        f"Time to interactive: **{new:.0f} ms**, {ratio(new, old)} the {old:.0f} ms before Vite (goal ≤ "
        f"{GOAL_TTI_RATIO}×: {_met(new <= GOAL_TTI_RATIO * old)}). The blank page's floor is {floor:.0f} ms; above "
        f"it, the site's own time is {new - floor:.0f} ms today and {old - floor:.0f} ms before Vite "
        f"({ratio(new - floor, old - floor)}). Run by run (each today's load beside the load of the site before "
        f"Vite that followed it, under much the same load of the machine), the median ratio is {paired:.2f}× "
        f"(runs: {', '.join(f'{each:.2f}' for each in sorted(pairs))}).",
        "",
        "Where the time goes (medians, ms from the navigation's start; script run: Chromium's main-thread time "
        "compiling and running JavaScript, the measuring's own polling included, as the blank page shows):",
        "",
        "| page | page's first byte | last script downloaded | DOMContentLoaded (scripts run) | interactive "
        "| script run |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, loads in results.items():
        lines.append(
            f"| {name} | "
            + " | ".join(
                f"{Spread.of(getattr(load, what) for load in loads).median:.0f}"
                for what in (
                    "first_byte_ms",
                    "scripts_fetched_ms",
                    "dom_content_loaded_ms",
                    "interactive_ms",
                    "script_run_ms",
                )
            )
            + " |"
        )
    lines += [
        "",
        "Hosting a session (after the first load: type a name, press Host, until the page shows the session "
        "acknowledged and its QR code; ably-js connects to the emulator through the same dev host):",
        "",
        "| page | press Host → hosted ms | requests | JS KiB (gzip) | other-origin requests |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in (TODAY, BEFORE):
        loads = results[name]
        last = loads[-1]
        lines.append(
            f"| {name} | {Spread.of(load.hosted_ms for load in loads).format('.0f')} | {len(last.hosting_files)} "
            f"| {_kib(last.total(1, True, hosting=True))} ({_kib(last.total(2, True, hosting=True))}) "
            f"| {max(len(load.hosting_other_origins) for load in loads)} |"
        )
    others = sorted(
        {url for loads in results.values() for load in loads for url in load.other_origins + load.hosting_other_origins}
    )
    lines += [
        "",
        (f"Requests to other origins: **{len(others)}** (required: 0): " + ", ".join(others))
        if others
        else "Requests to other origins: **0** (required: 0), on first load and when hosting: no CDN, no font "
        "service, and Ably (here the emulator) only through the page's own origin, once the visitor hosts.",
        "",
        "| page | loaded | file | type | bytes | gzip |",
        "|---|---|---|---|---:|---:|",
    ]
    for name, load in ((TODAY, today), (BEFORE, before)):
        for when, files in (("first load", load.files), ("hosting", load.hosting_files)):
            for url, (kind, raw, packed) in sorted(files.items(), key=lambda item: -item[1][1]):
                lines.append(f"| {name} | {when} | `{urlsplit(url).path}` | {kind} | {raw:,} | {packed:,} |")
    lines += [
        "",
        f"gzip sizes: each response compressed here at level {GZIP_LEVEL}, as a CDN serves text; the dev host "
        "itself sends files uncompressed. Interactive = the first animation frame at which the Host button is "
        "shown and enabled (the Vue app has mounted); for the blank page, the document is complete. Times are "
        "from the navigation's start (hosting: from the click), noted by the page itself at each animation frame "
        "(a script added before the page's own), so the harness's polling never delays them. On a loaded machine "
        "every wall-clock time here stretches (the browser waits for a core) and varies from run to run: compare "
        "the ratios, and the run-by-run ratios, rather than the milliseconds.",
        "",
        f"![First load]({image})",
    ]
    return "\n".join(lines)


def plot(results: dict[str, list[Load]], out_dir) -> str:
    fig, (left, middle, right) = plots.panels(3, 13.0, 3.6)
    names = list(results)
    plots.spread_bars(
        left,
        [name.replace(" (", "\n(") for name in names],
        [Spread.of(load.interactive_ms for load in results[name]) for name in names],
        "time to interactive (ms)",
    )
    sites = [TODAY, BEFORE]
    labels = [name.replace(" (", "\n(") for name in sites]
    positions = range(len(sites))
    stacks = [
        ("first-load JavaScript", lambda load: load.total(2, True), "#4c72b0"),
        ("first-load other", lambda load: load.total(2) - load.total(2, True), "#c4d2e8"),
        ("loaded when hosting", lambda load: load.total(2, hosting=True), "#dd8452"),
    ]
    left_edges = [0.0 for _ in sites]
    for label, size, color in stacks:
        widths = [size(results[name][-1]) / 1024 for name in sites]
        middle.barh(positions, widths, left=left_edges, color=color, label=label)
        left_edges = [edge + width for edge, width in zip(left_edges, widths, strict=True)]
    middle.axvline(GOAL_JS_GZIP_KIB, color="#c44e52", linestyle="--", label=f"goal: {GOAL_JS_GZIP_KIB:.0f} KiB JS")
    middle.set_yticks(list(positions), labels)
    middle.invert_yaxis()
    middle.set_xlabel("KiB downloaded (gzip)")
    middle.set_xlim(right=max(left_edges) * 1.8)  # room for the legend beside the shorter bar
    middle.legend(fontsize=7, loc="upper right")
    plots.spread_bars(
        right,
        labels,
        [Spread.of(load.hosted_ms for load in results[name]) for name in sites],
        "press Host → hosted (ms)",
    )
    fig.suptitle("First load and hosting in headless Chromium through the dev host", fontsize=10)
    return plots.save(fig, out_dir, "first-load.png")


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else FirstLoadSettings()
    results = asyncio.run(measure(settings))
    image = plot(results, options.out_dir)
    return Section(title="First load", body=report(results, settings, image), plots=[image])
