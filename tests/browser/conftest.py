"""Browser tests: real Chromium (Playwright) through the dev host, which runs the functions and the emulator."""

import json
import os
import re
import sys
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser_path import chromium_executable
from tests.processes import start_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"  # pytest-playwright empties test-results/

# How long a check waits for the page by default, as long as a page action (open_peer): Playwright's 5 s was too short
# for hosting on a loaded machine, where the click also downloads ably-js (a check that must be quicker says so).
EXPECT_TIMEOUT_MS = 15_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)

# Flags that work as root in a container with no network but loopback: no sandbox (it refuses to run as root), no GPU,
# no QUIC, and no first-run, background, update or sync traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Reported to the console by every page, so a CSP violation fails the test like any console error.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    launch = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if executable := chromium_executable():
        launch["executable_path"] = executable
    return launch


@dataclass
class DevHost:
    """The running `python -m devserver` and the emulator it started."""

    url: str
    emulator_url: str

    def control(self, path: str, method: str = "POST") -> object:
        """Call one of the emulator's test controls (`/_emulator/...`) and return its JSON answer."""
        request = urllib.request.Request(
            f"{self.emulator_url}/_emulator/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@contextmanager
def running_dev_host(*flags: str):
    """A `python -m devserver` on free ports, always on the emulator (never a developer's real key).

    `flags` are extra command-line options, e.g. the emulator timings `--emulator-presence-leave-timeout 1`.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("ABLY_")}
    server = start_server(
        [sys.executable, "-m", "devserver", "--port", "0", "--emulator-port", "0", "--emulator", *flags],
        env=env,
        cwd=str(ROOT),
    )
    try:
        emulator_url = server.wait_for(r"Emulator: (http://\S+)").group(1)
        url = server.wait_for(r"Open (http://\S+?)/?$").group(1)
        yield DevHost(url=url, emulator_url=emulator_url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dev_host():
    """One dev host for the whole run, with Ably's timings. A module that needs shorter ones overrides this."""
    with running_dev_host() as host:
        yield host


@pytest.fixture
def site_url(dev_host: DevHost) -> str:
    """Where people open the site: the dev host (the production rehearsal's modules put its Azure name here)."""
    return dev_host.url


@dataclass
class Peer:
    """One person: a browser context of their own, what went wrong on their page, and every URL it asked for
    (requests and WebSockets), so a test can say which origins the page talked to."""

    name: str
    page: Page
    problems: list[str] = field(default_factory=list)
    expected: list[re.Pattern] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def expect_console_error(self, pattern: str) -> None:
        """Tolerate console errors matching `pattern`: the browser logs each failed request a test causes on purpose."""
        self.expected.append(re.compile(pattern))

    def unexpected_problems(self) -> list[str]:
        return [problem for problem in self.problems if not any(p.search(problem) for p in self.expected)]


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Note whether the test itself failed, for open_peer's teardown."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def open_peer(browser: Browser, site_url: str, request):
    """Open a page as a new person; fail on any console error, and keep a screenshot of each page of a test that
    failed (one of every page would cost each test about a quarter of a second per page)."""
    opened: list[tuple[BrowserContext, Peer]] = []

    def open_peer(name: str, path: str = "/", init_script: str | None = None, **context_args) -> Peer:
        """`init_script` runs before the page's scripts (e.g. to take an API away); `context_args` go to new_context."""
        context = browser.new_context(base_url=site_url, **context_args)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(EXPECT_TIMEOUT_MS)
        peer = Peer(name, page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                peer.problems.append(f"console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: peer.problems.append(f"page error: {error}"))
        page.on("request", lambda sent: peer.urls.append(sent.url))
        page.on("websocket", lambda socket: peer.urls.append(socket.url))
        opened.append((context, peer))
        page.goto(path)
        return peer

    yield open_peer

    failed = request.node.stash.get(CALL_FAILED, False) or any(peer.unexpected_problems() for _, peer in opened)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for context, peer in opened:
        if failed and not peer.page.is_closed():  # a test may close a tab or crash a browser on purpose
            peer.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{peer.name}.png"), full_page=True)
        context.close()
    problems = {peer.name: unexpected for _, peer in opened if (unexpected := peer.unexpected_problems())}
    assert not problems, f"console errors, page errors or CSP violations: {problems}"
