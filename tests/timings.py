"""Timings of browser tests, for the benchmarks that reuse their scenarios (``python -m bench rehearsal``, ``drills``):
loaded only by them (``pytest -p tests.timings --timings FILE``), so ``make test`` pays nothing. Every page of every
browser context notes, in its own clock (ms since its navigation), each press of Host or Join, the first moment its
session is acknowledged and every situation its connection badge shows; after each test one JSON line per page
(in the order they were opened) goes to FILE. Nothing is asserted: the tests say what must be true."""

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

MARK = "bench-timing "
# Installed before the page's own scripts; console.debug reaches the test even from a tab closed later.
RECORD = """(() => {
  const note = (what) => console.debug(`MARK${performance.now()} ${what}`);
  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('[data-testid=host-button], [data-testid=join-button]');
    if (button) note(`click ${button.dataset.testid}`);
  }, { capture: true });
  let shown = '', acknowledged = false;
  new MutationObserver(() => {
    const badge = document.querySelector('[data-testid=connection-state]');
    const seen = badge && `${badge.dataset.state ?? '-'}/${badge.dataset.situation}`;
    if (seen && seen !== shown) note(`shown ${(shown = seen)}`);
    const status = document.querySelector('[data-testid=session]')?.dataset.status;
    if (!acknowledged && (acknowledged = status === 'acknowledged')) note('acknowledged');
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();""".replace("MARK", MARK)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--timings", type=Path, help="append each page's timeline, a JSON line per page, to this file")


def pytest_configure(config: pytest.Config) -> None:
    """Every new browser context records its pages' timelines into ``config.stash``'s list, for the test running."""
    pages: list[list] = []
    config.stash[PAGES] = pages
    new_context = Browser.new_context

    def recording(browser: Browser, *args, **kwargs):
        context = new_context(browser, *args, **kwargs)
        context.add_init_script(RECORD)
        context.on("page", lambda page: _watch(page, pages))
        return context

    Browser.new_context = recording  # type: ignore[method-assign]


PAGES = pytest.StashKey[list]()


def _watch(page: Page, pages: list[list]) -> None:
    events: list = []
    pages.append(events)

    def on_console(message) -> None:
        if message.type == "debug" and message.text.startswith(MARK):
            at, what = message.text.removeprefix(MARK).split(" ", 1)
            events.append([float(at), what])

    page.on("console", on_console)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """After the test's call: one line per page it opened, with whether the test passed."""
    report = yield
    if report.when == "call":
        pages = item.config.stash[PAGES]
        with item.config.getoption("timings").open("a") as out:
            for index, events in enumerate(pages):
                record = {"test": item.nodeid, "page": index, "passed": report.passed, "at": time.time()}
                out.write(json.dumps(record | {"events": events}) + "\n")
        pages.clear()
    return report
