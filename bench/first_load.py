"""First-load benchmark: what a visitor's browser downloads and how soon the page can be used.

Headless Chromium (Playwright, launched as the browser tests launch it) opens the site's home page through the
dev host, in a fresh browser context each run (empty cache), beside a blank page on the same host (the
baseline: the floor of the browser, the host and the measuring itself). Per run: time to interactive (the
first animation frame at which the Host button is on screen and enabled; for the blank page, the document
complete), the load event, bytes of every response (raw, and gzip-compressed as a CDN would serve them) and any
request to another origin, which must be none: the site ships its own copies of Vue and ably-js.
"""

import asyncio
import gzip
import os
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from bench import plots
from bench.processes import running
from bench.report import RunOptions, Section
from bench.site_host import BLANK_PAGE
from bench.stats import Spread, ratio

GZIP_LEVEL = 6
SITE_READY = """() => {
  const button = document.querySelector('[data-testid=host-button]');
  return button && !button.disabled && button.offsetParent !== null ? performance.now() : false;
}"""
BLANK_READY = "() => document.readyState === 'complete' ? performance.now() : false"
PAGES = {"site home page": ("/", SITE_READY), "blank page (baseline)": (f"/{BLANK_PAGE}", BLANK_READY)}


@dataclass(frozen=True)
class FirstLoadSettings:
    runs: int = 7


QUICK = FirstLoadSettings(runs=1)


@dataclass
class Load:
    """One page load in a fresh context."""

    interactive_ms: float
    load_event_ms: float
    files: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # url → (resource type, raw, gzip)
    other_origins: list[str] = field(default_factory=list)

    def total(self, index: Literal[1, 2], scripts_only: bool = False) -> int:
        return sum(file[index] for file in self.files.values() if not scripts_only or file[0] == "script")


async def _load_once(browser, base_url: str, path: str, ready: str) -> Load:
    context = await browser.new_context(base_url=base_url)
    try:
        page = await context.new_page()
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
        responses = []
        other_origins: list[str] = []

        def on_request(request) -> None:
            if not request.url.startswith(origin) and not request.url.startswith("data:"):
                other_origins.append(request.url)

        page.on("request", on_request)
        page.on("websocket", lambda socket: other_origins.append(socket.url))
        page.on("response", lambda response: responses.append(response))
        await page.goto(path, wait_until="commit")
        handle = await page.wait_for_function(ready, polling="raf", timeout=30_000)
        interactive_ms = await handle.json_value()
        await page.wait_for_load_state("networkidle")
        load_event_ms = await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        load = Load(interactive_ms=interactive_ms, load_event_ms=load_event_ms, other_origins=other_origins)
        for response in responses:
            if response.url.startswith(origin):
                body = await response.body()
                load.files[response.url] = (
                    response.request.resource_type,
                    len(body),
                    len(gzip.compress(body, GZIP_LEVEL)),
                )
        return load
    finally:
        await context.close()


async def measure(settings: FirstLoadSettings) -> dict[str, list[Load]]:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser_path import chromium_executable

    env = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    async with running(["bench.site_host"], r"Open (http://\S+?)/?\s*$", env=env) as host, async_playwright() as pw:
        browser = await pw.chromium.launch(args=CHROMIUM_ARGS, executable_path=chromium_executable())
        try:
            for path, ready in PAGES.values():
                await _load_once(browser, host.url, path, ready)  # warm the host's file cache and the browser
            results: dict[str, list[Load]] = {name: [] for name in PAGES}
            for _ in range(settings.runs):
                for name, (path, ready) in PAGES.items():
                    results[name].append(await _load_once(browser, host.url, path, ready))
            return results
        finally:
            await browser.close()


def _kib(count: float) -> str:
    return f"{count / 1024:,.1f}"


def report(results: dict[str, list[Load]], settings: FirstLoadSettings, image: str) -> str:
    site = results["site home page"][-1]
    lines = [
        f"Fresh browser context (empty cache) per load, {settings.runs} loads per page, alternating.",
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
    others = sorted({url for loads in results.values() for load in loads for url in load.other_origins})
    tti = interactive["site home page"].median
    floor = interactive["blank page (baseline)"].median
    lines += [
        "",
        f"Time to interactive: **{tti:.0f} ms**, {ratio(tti, floor)} the blank page's {floor:.0f} ms "
        f"(so about {tti - floor:.0f} ms are the site's own). First load: **{_kib(site.total(1))} KiB** "
        f"({_kib(site.total(2))} KiB gzip), of which JavaScript {_kib(site.total(1, True))} KiB "
        f"({_kib(site.total(2, True))} KiB gzip).",
        "",
        (f"Requests to other origins: **{len(others)}** (required: 0): " + ", ".join(others))
        if others
        else "Requests to other origins: **0** (required: 0): no CDN, no font service, and no connection to Ably (or "
        "the emulator) until the visitor hosts or joins.",
        "",
        "| file | type | bytes | gzip |",
        "|---|---|---:|---:|",
    ]
    for url, (kind, raw, packed) in sorted(site.files.items(), key=lambda item: -item[1][1]):
        lines.append(f"| `{urlsplit(url).path}` | {kind} | {raw:,} | {packed:,} |")
    lines += [
        "",
        f"gzip sizes: each response compressed here at level {GZIP_LEVEL}, as a CDN serves text; the dev host "
        "itself sends files uncompressed. Interactive = the first animation frame at which the Host button is "
        "shown and enabled (the Vue app has mounted); for the blank page, the document is complete. Times are "
        "from the navigation's start, measured in the page.",
        "",
        f"![First load]({image})",
    ]
    return "\n".join(lines)


def plot(results: dict[str, list[Load]], out_dir) -> str:
    site = results["site home page"][-1]
    fig, (left, right) = plots.panels(2, 11.0, 3.6)
    names = list(results)
    plots.spread_bars(
        left,
        [name.replace(" (", "\n(") for name in names],
        [Spread.of(load.interactive_ms for load in results[name]) for name in names],
        "time to interactive (ms)",
    )
    files = sorted(site.files.items(), key=lambda item: -item[1][1])
    labels = [urlsplit(url).path for url, _ in files]
    positions = range(len(files))
    right.barh(positions, [raw / 1024 for _, (_, raw, _) in files], color="#c4d2e8", label="raw")
    right.barh(positions, [packed / 1024 for _, (_, _, packed) in files], color="#4c72b0", label="gzip")
    right.set_yticks(list(positions), labels, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("KiB per file of the site's first load")
    right.legend()
    fig.suptitle("First load in headless Chromium through the dev host", fontsize=10)
    return plots.save(fig, out_dir, "first-load.png")


def run(options: RunOptions) -> Section:
    settings = QUICK if options.quick else FirstLoadSettings()
    results = asyncio.run(measure(settings))
    image = plot(results, options.out_dir)
    return Section(title="First load", body=report(results, settings, image), plots=[image])
