"""The report file: rerunning one benchmark replaces its own section and keeps the others."""

from bench import report


def test_report_write_replaces_only_the_sections_that_were_rerun(tmp_path):
    first = {
        "token": report.render_section(
            "token", report.Section("Token", "old token numbers"), "0 / 0 / 0", "0 / 0 / 0", 1
        ),
        "session": report.render_section(
            "session", report.Section("Session", "session numbers"), "0 / 0 / 0", "0 / 0 / 0", 1
        ),
    }
    report.write(tmp_path, first, ["token", "fanout", "session"], quick=False)
    rerun = {
        "token": report.render_section(
            "token", report.Section("Token", "new token numbers"), "1 / 1 / 1", "1 / 1 / 1", 2
        )
    }

    text = report.write(tmp_path, rerun, ["token", "fanout", "session"], quick=False).read_text()

    assert "new token numbers" in text
    assert "old token numbers" not in text
    assert "session numbers" in text
    assert text.index("## Token") < text.index("## Session")
    assert text.count("## Machine") == 1


def test_report_header_warns_when_the_numbers_come_from_a_quick_run(tmp_path):
    text = report.write(tmp_path, {}, [], quick=True).read_text()
    assert "**Quick mode:**" in text
    assert "**Quick mode:**" not in report.write(tmp_path, {}, [], quick=False).read_text()
