"""``python -m bench [NAME ...] [--quick] [--out DIR]``: run the benchmarks (all by default) and write the report,
docs/benchmarks/README.md, each replacing its own section. ``--quick``: tiny sizes, into a temporary folder."""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench import dev_host, first_load, report, session, soak, tested, token_endpoint
from bench.processes import REPO_ROOT

BENCHMARKS = {"token": token_endpoint.run, "first-load": first_load.run, "session": session.run, "soak": soak.run}
BENCHMARKS |= {"dev-host": dev_host.run, "rehearsal": tested.rehearsal, "drills": tested.drills}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run, numbers not meaningful")
    parser.add_argument("--out", type=Path, help="folder for the report (default: docs/benchmarks)")
    args = parser.parse_args(argv)
    if unknown := [name for name in args.names if name not in BENCHMARKS]:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-quick-")) if args.quick else REPO_ROOT / "docs/benchmarks")
    rendered = {}
    for name in args.names or BENCHMARKS:
        load_before, started = report.load_average(), time.monotonic()
        section = asyncio.run(BENCHMARKS[name](args.quick))
        elapsed = time.monotonic() - started
        rendered[name] = report.render_section(name, section, load_before, report.load_average(), elapsed)
        print(rendered[name], end="\n\n", flush=True)
    print(f"Report: {report.write(out, rendered, list(BENCHMARKS), quick=args.quick)}", flush=True)


if __name__ == "__main__":
    main()
