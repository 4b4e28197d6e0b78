"""The benchmark command line: `python -m bench NAME...` refuses a name it does not know."""

import pytest

from bench.__main__ import main


def test_bench_cli_refuses_an_unknown_benchmark_name(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["no-such-benchmark"])

    assert exited.value.code == 2
    assert "unknown benchmark no-such-benchmark" in capsys.readouterr().err
