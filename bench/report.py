"""The report, docs/benchmarks/README.md: the machine and versions measured, then a section per benchmark between
markers (``python -m bench NAME`` replaces its own, keeps the others); and how every benchmark summarises numbers."""

import datetime
import json
import os
import platform
import re
import statistics
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

from bench.processes import REPO_ROOT

_SECTION = re.compile(r"<!-- bench:(?P<name>[\w-]+) start -->\n.*?<!-- bench:(?P=name) end -->", re.DOTALL)
NAN = float("nan")


@dataclass
class Section:
    title: str
    body: str  # tables, each followed by one line saying how to read it


def percentile(values: Iterable[float], percent: float) -> float:
    """Nearest-rank percentile (no interpolation: the value is one that was measured). NaN when there are none."""
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))]) if ordered else NAN


@dataclass(frozen=True)
class Spread:
    """The median of repeated runs and the lowest and highest run, so a reader sees how much runs disagree."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, runs: Iterable[float | None]) -> "Spread":
        values = [value for value in runs if value is not None and value == value] or [NAN]  # NaN: measured nothing
        return cls(statistics.median(values), min(values), max(values))

    def format(self, spec: str = ".1f") -> str:
        """``12.3 (11.9–13.0)``; just the median when every run agreed; ``n/a`` when nothing was measured."""
        median, low, high = (format(value, spec) for value in (self.median, self.low, self.high))
        return "n/a" if self.median != self.median else median if low == high else f"{median} ({low}–{high})"


def ratio(value: float, baseline: float) -> str:
    """``0.42×``, or ``n/a`` when the baseline is zero or unknown."""
    return "n/a" if not baseline or baseline != baseline or value != value else f"{value / baseline:.2f}×"


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; columns after the first are right-aligned (numbers)."""
    lines = [header, ["---", *["---:"] * (len(header) - 1)], *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def side_by_side(samples: dict[str, list[dict]], rows: dict[str, str], spec: str = ".0f") -> str:
    """A row per measure (``label: key``), a column per target (its runs' spread), and first ÷ last (the baseline)."""
    cells = []
    for label, key in rows.items():
        spreads = [Spread.of(run.get(key) for run in runs) for runs in samples.values()]
        cells.append([label, *(s.format(spec) for s in spreads), ratio(spreads[0].median, spreads[-1].median)])
    return table(["", *samples, "ratio"], cells)


def _output(*command: str) -> str:
    """What a command prints, or "" when it fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, cwd=REPO_ROOT, check=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _read(path: str, key: str) -> str:
    """The value of the first ``key: value`` or ``key=value`` line of a file such as /proc/cpuinfo."""
    with open(path) as lines:
        return next(re.split("[:=]", line, maxsplit=1)[1].strip().strip('"') for line in lines if line.startswith(key))


def machine() -> list[list[str]]:
    from tests.browser_path import chromium_executable

    npm = {name: json.loads((REPO_ROOT / f"node_modules/{name}/package.json").read_text()) for name in ("ably", "vue")}
    return [
        ["CPU", f"{_read('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores"],
        ["memory", f"{int(_read('/proc/meminfo', 'MemTotal').split()[0]) / 1024**2:.1f} GiB"],
        ["OS", f"{_read('/etc/os-release', 'PRETTY_NAME')} (Linux {platform.release()})"],
        ["Python", platform.python_version()],
        ["Node", _output("node", "--version")],
        ["ably-js", npm["ably"]["version"]],
        ["Vue", npm["vue"]["version"]],
        *([name, metadata.version(name.lower())] for name in ("aiohttp", "Playwright")),
        ["Chromium", _output(chromium_executable() or "chromium", "--version")],
    ]


def load_average() -> str:
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


def render_section(name: str, section: Section, load_before: str, load_after: str, seconds: float) -> str:
    """The section between its markers, with when, at which commit and under what load it was measured."""
    changed = _output("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks")
    commit = _output("git", "rev-parse", "--short=12", "HEAD") + (" + uncommitted changes" if changed else "")
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"## {section.title}\n\n_Measured {when} at commit {commit} in {seconds:.0f} s; load average (1/5/15 min) "
        f"{load_before} before, {load_after} after._\n\n{section.body.strip()}\n"
    )
    return f"<!-- bench:{name} start -->\n{body}\n<!-- bench:{name} end -->"


def write(out_dir, rendered: dict[str, str], order: list[str], quick: bool):
    """Write the header, then every section in ``order``, those just run replacing those on disk."""
    path = out_dir / "README.md"
    sections = {match["name"]: match[0] for match in _SECTION.finditer(path.read_text())} if path.exists() else {}
    sections |= rendered
    warning = "> **Quick mode:** tiny sizes, single runs: these numbers mean nothing.\n\n" if quick else ""
    header = f"""# Benchmarks

Measured with `make bench` (`python -m bench [NAME ...]`), each beside a baseline measured in the same run on the same
machine: compare the ratios rather than the absolute numbers. Medians of the runs, lowest–highest run in brackets.

{warning}## Machine

{table(["what", "value"], machine())}

Each section gives the load average while it ran: above the number of cores, other work competed for the CPU.
"""
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n\n".join(sections[name] for name in order if name in sections) + "\n")
    return path
