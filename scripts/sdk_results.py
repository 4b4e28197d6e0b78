"""The official SDK suites' results against the known-failures list: a per-file table, and a verdict.

scripts/sdk_suites.sh runs each test file of ably-js and ably-python with a JUnit XML report, then calls this with
one `SUITE<TAB>FILE<TAB>XML<TAB>NOTE` line per file on stdin. Every failing test must be on the list
(emulator/sdk-known-failures.toml, each entry with its reason); a failure not on it is *unexpected*, and an entry
whose test now passes is *stale*: either one fails the run, so the list says exactly what does not work yet. An
entry marked `race = true` is a test that races a timer against the network's latency, which loopback sometimes wins:
it may pass without being stale.

    python scripts/sdk_results.py --known emulator/sdk-known-failures.toml --out table.md < results.tsv
"""

import argparse
import fnmatch
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUITES = ("ably-js", "ably-python")
# How many of each kind the table lists by name before it says "and N more".
NAMED_AT_MOST = 40


@dataclass(frozen=True)
class Outcome:
    suite: str
    file: str
    test: str  # ably-js: the test's full title; ably-python: Class::test_name (the class left out when none)
    status: str  # passed | failed | skipped


@dataclass(frozen=True)
class Known:
    suite: str
    file: str
    test: str  # a test id as in Outcome, or a pattern (`*` for the whole file)
    reason: str
    race: bool = False  # passes or fails by timing: never stale

    def matches(self, outcome: Outcome) -> bool:
        return (
            outcome.suite == self.suite and outcome.file == self.file and fnmatch.fnmatchcase(outcome.test, self.test)
        )


@dataclass
class FileRow:
    suite: str
    file: str
    note: str
    counts: dict[str, int] = field(default_factory=lambda: {"passed": 0, "failed": 0, "skipped": 0})
    known: int = 0
    unexpected: list[str] = field(default_factory=list)


def load_known(path: Path) -> list[Known]:
    """The known failures: `[[ably-js]]` / `[[ably-python]]` tables with `file`, `test`, `reason` (and `race`)."""
    data = tomllib.loads(path.read_text())
    unknown = set(data) - set(SUITES)
    if unknown:
        raise ValueError(f"{path}: unknown suites {sorted(unknown)}; expected {SUITES}")
    known = []
    for suite in SUITES:
        for entry in data.get(suite, []):
            missing = {"file", "test", "reason"} - set(entry)
            if missing or not str(entry.get("reason", "")).strip():
                raise ValueError(f"{path}: a {suite} entry needs file, test and a reason: {entry}")
            known.append(Known(suite, entry["file"], entry["test"], entry["reason"], entry.get("race", False) is True))
    return known


def outcomes(suite: str, file: str, xml: Path) -> Iterator[Outcome]:
    """Each test case of one JUnit XML report (mocha-junit-reporter's or pytest's)."""
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = case.get("name", "")
        if suite == "ably-python":
            cls = case.get("classname", "").rpartition(".")[2]
            name = f"{cls}::{name}" if cls and not cls.endswith("_test") else name
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
        else:
            status = "passed"
        yield Outcome(suite, file, name, status)


def judge(lines: Iterable[str], known: list[Known]) -> tuple[list[FileRow], list[Known]]:
    """The per-file rows and the stale entries (listed, but their tests ran and none failed)."""
    rows = []
    failing_entries: set[Known] = set()
    ran_files: set[tuple[str, str]] = set()
    for line in lines:
        if not line.strip():
            continue
        suite, file, xml, note = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
        row = FileRow(suite, file, note)
        rows.append(row)
        report = Path(xml)
        if not report.is_file():
            row.note = row.note or "no report (the file crashed or timed out)"
            row.unexpected.append(f"{file}: no report")
            continue
        ran_files.add((suite, file))
        for outcome in outcomes(suite, file, report):
            row.counts[outcome.status] += 1
            if outcome.status != "failed":
                continue
            entry = next((entry for entry in known if entry.matches(outcome)), None)
            if entry is None:
                row.unexpected.append(outcome.test)
            else:
                row.known += 1
                failing_entries.add(entry)
    stale = [
        entry
        for entry in known
        if (entry.suite, entry.file) in ran_files and entry not in failing_entries and not entry.race
    ]
    return rows, stale


def table(rows: list[FileRow], stale: list[Known], header: str) -> str:
    out = [
        "# Official SDK test suites against the emulator",
        "",
        header,
        "",
        "| suite | file | passed | failed | known | unexpected | skipped | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        c = row.counts
        out.append(
            f"| {row.suite} | {row.file} | {c['passed']} | {c['failed']} | {row.known} | {len(row.unexpected)} "
            f"| {c['skipped']} | {row.note} |"
        )
    for suite in SUITES:
        mine = [row for row in rows if row.suite == suite]
        if mine:
            total = {k: sum(row.counts[k] for row in mine) for k in ("passed", "failed", "skipped")}
            known = sum(row.known for row in mine)
            surprises = sum(len(row.unexpected) for row in mine)
            out.append(
                f"| {suite} | **total** | **{total['passed']}** | **{total['failed']}** | **{known}** "
                f"| **{surprises}** | **{total['skipped']}** | |"
            )
    unexpected = [f"{row.suite} {row.file}: {test}" for row in rows for test in row.unexpected]
    out += ["", f"Unexpected failures (not in the known-failures list): {len(unexpected)}"]
    out += [f"- {line}" for line in unexpected[:NAMED_AT_MOST]]
    if len(unexpected) > NAMED_AT_MOST:
        out.append(f"- and {len(unexpected) - NAMED_AT_MOST} more")
    out += ["", f"Stale entries (listed, but passing now: take them off the list): {len(stale)}"]
    out += [f"- {entry.suite} {entry.file}: {entry.test}" for entry in stale]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--known", type=Path, required=True, help="the known-failures TOML file")
    parser.add_argument("--out", type=Path, required=True, help="where the markdown table goes")
    parser.add_argument("--header", default="", help="a line under the title (the suites' commits, the date)")
    args = parser.parse_args(argv)
    try:
        known = load_known(args.known)
    except (OSError, ValueError) as error:  # tomllib.TOMLDecodeError is a ValueError
        print(f"sdk_results: {error}", file=sys.stderr)
        return 2
    rows, stale = judge(sys.stdin, known)
    args.out.write_text(table(rows, stale, args.header))
    unexpected = sum(len(row.unexpected) for row in rows)
    print(f"{unexpected} unexpected failures, {len(stale)} stale entries; table: {args.out}", file=sys.stderr)
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
