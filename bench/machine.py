"""What the numbers were measured on: the machine, the versions of everything measured, the commit and the load."""

import datetime
import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from bench.processes import REPO_ROOT


def _first_line(command: list[str]) -> str | None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=20, cwd=REPO_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if completed.returncode == 0 and lines else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip('"')
                return f"{name} (Linux {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _npm_version(package: str) -> str:
    try:
        return json.loads((REPO_ROOT / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "not installed"


def _python_package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def chromium_version() -> str:
    from tests.browser_path import chromium_executable

    executable = chromium_executable()
    if not executable:
        return "Playwright's bundled build"
    return _first_line([executable, "--version"]) or executable


def git_commit() -> str:
    """The checked-out commit, marked when the work tree has changes (those were measured too); the report's own
    folder does not count."""
    commit = _first_line(["git", "rev-parse", "--short=12", "HEAD"])
    if commit is None:  # an export or tarball: no .git, perhaps no git at all
        return "unknown"
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    return f"{commit} + uncommitted changes" if status.stdout.strip() else commit


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe() -> list[tuple[str, str]]:
    """(what, value) rows for the report's machine table."""
    node = shutil.which("node")
    return [
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores"),
        ("memory", _memory()),
        ("OS", _os_name()),
        ("Python", platform.python_version()),
        ("Node", (_first_line([node, "--version"]) if node else None) or "not installed"),
        ("ably-js", _npm_version("ably")),
        ("Vue", _npm_version("vue")),
        ("aiohttp", _python_package("aiohttp")),
        ("azure-functions", _python_package("azure-functions")),
        ("ably (Python)", _python_package("ably")),
        ("Chromium", chromium_version()),
        ("Playwright", _python_package("playwright")),
        ("matplotlib", _python_package("matplotlib")),
    ]
