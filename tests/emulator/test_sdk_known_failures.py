"""The SDK suites' verdict (scripts/sdk_results.py): every failing test is on the known-failures list with a reason,
or the run fails; a listed test that passes now is stale and fails the run too; the repository's list is valid."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "sdk_results.py"

MOCHA_REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="Mocha Tests">
  <testsuite name="rest/push">
    <testcase name="rest/push Get a device registration" classname="Get a device registration"/>
    <testcase name="rest/push Publish" classname="Publish"><failure message="404">not found</failure></testcase>
    <testcase name="rest/push Pending" classname="Pending"><skipped/></testcase>
  </testsuite>
</testsuites>
"""
PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="test.ably.rest.reststats_test.TestRestAppStats" name="test_units[True]">
    <failure message="AssertionError"/></testcase>
  <testcase classname="test.ably.rest.reststats_test.TestRestAppStats" name="test_limit[True]"/>
  <testcase classname="test.ably.rest.reststats_test" name="test_module_level"><error message="boom"/></testcase>
</testsuite></testsuites>
"""


def verdict(tmp_path: Path, known: str, files: dict[tuple[str, str], str | None]) -> tuple[int, str]:
    """Run the script on reports for `files` ((suite, file) → XML text, None for a file that left no report)."""
    (tmp_path / "known.toml").write_text(known)
    lines = []
    for index, ((suite, file), xml) in enumerate(files.items()):
        report = tmp_path / f"report-{index}.xml"
        if xml is not None:
            report.write_text(xml)
        lines.append(f"{suite}\t{file}\t{report}\t")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--known", str(tmp_path / "known.toml"), "--out", str(tmp_path / "t.md")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    table = (tmp_path / "t.md").read_text() if (tmp_path / "t.md").exists() else run.stderr
    return run.returncode, table


JS = ("ably-js", "test/rest/push.test.js")
PY = ("ably-python", "test/ably/rest/reststats_test.py")


def test_failures_that_are_all_listed_pass_the_run_and_are_counted_as_known(tmp_path):
    known = """
[[ably-js]]
file = "test/rest/push.test.js"
test = "rest/push Publish"
reason = "push publish is not emulated"

[[ably-python]]
file = "test/ably/rest/reststats_test.py"
test = "*"
reason = "stats are not emulated"
"""
    status, table = verdict(tmp_path, known, {JS: MOCHA_REPORT, PY: PYTEST_REPORT})
    assert status == 0, table
    assert "| ably-js | test/rest/push.test.js | 1 | 1 | 1 | 0 | 1 |" in table
    assert "| ably-python | test/ably/rest/reststats_test.py | 1 | 2 | 2 | 0 | 0 |" in table
    assert "Unexpected failures (not in the known-failures list): 0" in table


def test_a_failure_not_on_the_list_fails_the_run_and_is_named(tmp_path):
    status, table = verdict(tmp_path, "", {JS: MOCHA_REPORT, PY: PYTEST_REPORT})
    assert status == 1
    assert "- ably-js test/rest/push.test.js: rest/push Publish" in table
    assert "- ably-python test/ably/rest/reststats_test.py: TestRestAppStats::test_units[True]" in table
    assert "- ably-python test/ably/rest/reststats_test.py: test_module_level" in table


def test_a_listed_test_that_passes_now_is_stale_and_fails_the_run(tmp_path):
    known = """
[[ably-js]]
file = "test/rest/push.test.js"
test = "rest/push *"
reason = "push is not emulated"

[[ably-js]]
file = "test/rest/push.test.js"
test = "rest/push Get a device registration"
reason = "registrations are not emulated"
"""
    status, table = verdict(tmp_path, known, {JS: MOCHA_REPORT})
    assert status == 1
    assert "Stale entries (listed, but passing now: take them off the list): 1" in table
    assert "- ably-js test/rest/push.test.js: rest/push Get a device registration" in table


def test_a_race_entry_may_pass_or_fail_without_failing_the_run(tmp_path):
    known = """
[[ably-js]]
file = "test/rest/push.test.js"
test = "rest/push *"
reason = "a 10 ms timer against the network's latency"
race = true
"""
    status, table = verdict(tmp_path, known, {JS: MOCHA_REPORT})
    assert status == 0, table
    assert "Stale entries (listed, but passing now: take them off the list): 0" in table
    status, table = verdict(tmp_path, known, {JS: MOCHA_REPORT.replace("<failure", "<x").replace("</failure>", "</x>")})
    assert status == 0, table


def test_an_entry_for_a_file_that_did_not_run_is_not_stale(tmp_path):
    known = '[[ably-python]]\nfile = "test/ably/rest/restpush_test.py"\ntest = "*"\nreason = "push"\n'
    status, table = verdict(
        tmp_path, known, {JS: MOCHA_REPORT.replace("<failure", "<skipped").replace("</failure>", "</skipped>")}
    )
    assert status == 0, table


def test_a_file_that_left_no_report_is_a_failure(tmp_path):
    status, table = verdict(tmp_path, "", {JS: None})
    assert status == 1
    assert "no report" in table


@pytest.mark.parametrize(
    "known",
    [
        '[[ably-js]]\nfile = "test/rest/push.test.js"\ntest = "*"\n',
        '[[ably-js]]\nfile = "test/rest/push.test.js"\ntest = "*"\nreason = " "\n',
        '[[ably-go]]\nfile = "x"\ntest = "*"\nreason = "r"\n',
    ],
    ids=["no reason", "blank reason", "unknown suite"],
)
def test_an_entry_without_a_reason_or_of_an_unknown_suite_is_refused(tmp_path, known):
    status, message = verdict(tmp_path, known, {JS: MOCHA_REPORT})
    assert status == 2
    assert message.startswith("sdk_results: ")
    assert "reason" in message or "unknown suites" in message


def test_the_repository_list_is_valid():
    run = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--known",
            str(REPO / "emulator" / "sdk-known-failures.toml"),
            "--out",
            "/dev/null",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
