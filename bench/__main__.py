"""``python -m bench [NAME ...] [--quick]``: run the benchmarks (all by default) and print Markdown reports.

Each benchmark measures its subject beside a baseline in the same run, so the numbers are comparable on any
machine. ``--quick`` makes a tiny smoke run that only shows the benchmark works.
"""

import argparse

from bench import fanout

BENCHMARKS = {
    "fanout": fanout.run,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run, numbers not meaningful")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in args.names or list(BENCHMARKS):
        print(BENCHMARKS[name](quick=args.quick), flush=True)
        print(flush=True)


if __name__ == "__main__":
    main()
