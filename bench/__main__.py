"""``python -m bench [NAME ...] [--quick] [--out DIR]``: run the benchmarks (all by default) and write the report.

Each benchmark measures its subject beside a baseline in the same run, so the numbers are comparable on any
machine. The report (Markdown + PNG plots) goes to docs/benchmarks/; running some benchmarks replaces only their
sections. ``--quick`` makes a tiny smoke run that only shows the benchmarks work; it writes to a temporary
folder unless ``--out`` is given, so it never replaces the committed report.
"""

import argparse
import tempfile
import time
from pathlib import Path

from bench import dev_host, drills, fanout, first_load, machine, rehearsal, report, session, soak, token_endpoint
from bench.processes import REPO_ROOT

BENCHMARKS = {
    "token": token_endpoint.run,
    "first-load": first_load.run,
    "fanout": fanout.run,
    "session": session.run,
    "soak": soak.run,
    "dev-host": dev_host.run,
    "rehearsal": rehearsal.run,
    "drills": drills.run,
}
DEFAULT_OUT = REPO_ROOT / "docs" / "benchmarks"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run, numbers not meaningful")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"folder for the report and plots (default: {DEFAULT_OUT.relative_to(REPO_ROOT)}, "
        "or a temporary folder with --quick)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="bench-quick-")) if args.quick else DEFAULT_OUT)
    options = report.RunOptions(quick=args.quick, out_dir=out_dir)
    rendered = {}
    for name in args.names or list(BENCHMARKS):
        load_before = machine.load_average()
        started = time.monotonic()
        section = BENCHMARKS[name](options)
        rendered[name] = report.render_section(
            name, section, load_before, machine.load_average(), time.monotonic() - started
        )
        print(rendered[name], flush=True)
        print(flush=True)
    path = report.write(out_dir, rendered, list(BENCHMARKS), quick=args.quick)
    print(f"Report: {path}", flush=True)


if __name__ == "__main__":
    main()
