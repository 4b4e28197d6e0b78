"""The Markdown report, docs/benchmarks/README.md: a header about the machine, then one section per benchmark.

Each section is kept between markers, so running one benchmark (``python -m bench NAME``) replaces its own
section and keeps the others; every section says when, at which commit and under what load it was measured.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from bench import machine

REPORT_NAME = "README.md"
_SECTION = re.compile(r"<!-- bench:(?P<name>[\w-]+) start -->\n.*?<!-- bench:(?P=name) end -->", re.DOTALL)


@dataclass(frozen=True)
class RunOptions:
    """What every benchmark is given: the tiny smoke mode, and where to write its plots."""

    quick: bool
    out_dir: Path


@dataclass
class Section:
    """One benchmark's part of the report: a title and Markdown (tables, findings, links to its plots)."""

    title: str
    body: str
    plots: list[str] = field(default_factory=list)


def render_section(name: str, section: Section, load_before: str, load_after: str, seconds: float) -> str:
    """The section with its markers and a line saying when and how it was measured."""
    provenance = (
        f"_Measured {machine.now()} at commit {machine.git_commit()} in {seconds:.0f} s; "
        f"load average (1/5/15 min) {load_before} before, {load_after} after._"
    )
    return "\n".join(
        [
            f"<!-- bench:{name} start -->",
            f"## {section.title}",
            "",
            provenance,
            "",
            section.body.strip(),
            "",
            f"<!-- bench:{name} end -->",
        ]
    )


def existing_sections(path: Path) -> dict[str, str]:
    """The sections of a report already on disk, by benchmark name (empty when there is none)."""
    if not path.exists():
        return {}
    return {match["name"]: match.group(0) for match in _SECTION.finditer(path.read_text())}


def header(quick: bool) -> str:
    rows = "\n".join(f"| {what} | {value} |" for what, value in machine.describe())
    warning = (
        "\n> **Quick mode:** tiny sizes and single runs, to show the benchmarks work. These numbers mean nothing.\n"
        if quick
        else ""
    )
    return f"""# Benchmarks

What a session of this starter costs and how it feels, measured on one machine with `make bench`
(`python -m bench`; `python -m bench NAME` reruns one section, `--quick` is a smoke run). Every figure is the
median of repeated runs with the spread (lowest–highest run) in brackets, beside a baseline measured in the same
run on the same machine, so the ratios carry over to other machines better than the absolute numbers do.
{warning}
## Machine

| what | value |
|---|---|
{rows}

The machine is shared with other work: each section gives the load average while it ran. A load above the
number of cores means other processes competed for the CPU, and the timings of that section are pessimistic.
"""


def write(out_dir: Path, rendered: dict[str, str], order: list[str], quick: bool) -> Path:
    """Write the report: the header, then every section in ``order``, new ones replacing those on disk."""
    path = out_dir / REPORT_NAME
    sections = {**existing_sections(path), **rendered}
    body = "\n\n".join(sections[name] for name in order if name in sections)
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(header(quick) + "\n" + body + "\n")
    return path
