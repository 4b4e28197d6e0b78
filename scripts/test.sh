#!/usr/bin/env bash
# Build the site unless dist/site is the build of the current sources (npm run build, swapped into dist/site when
# complete: the tests run against the build, as deployed; tests/site_build.py), then run every test: the Python
# tests (emulator with ably-python, API, dev host, browser) on pytest-xdist workers, side by side with the Node tests
# (ably-js, P2P classes), whose output follows pytest's.
# Exits non-zero when the build or any test fails. Arguments go to pytest (e.g. `./scripts/test.sh -k presence`).
# PYTEST_WORKERS sets the number of workers, 6 by default: most tests wait on pages, timers and child processes, so
# six keep two cores busy where four used about half of them (270 CPU-seconds in a 240 s run); the longest modules
# start first (tests/conftest.py). The bench smoke tests are left out: `make bench-smoke` runs them.
set -uo pipefail
cd "$(dirname "$0")/.."
# Python may keep its bytecode: pytest caches its rewritten test modules there, and every worker and every dev host a
# test starts would otherwise compile the project anew (about 2 s of CPU per pytest process where it is set).
unset PYTHONDONTWRITEBYTECODE

if ! .venv/bin/python -m tests.site_build; then
  echo "FAILED: the site's build (npm run build); no tests were run" >&2
  exit 1
fi

node_log=$(mktemp)
npm test >"$node_log" 2>&1 &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; rm -f "$node_log"' EXIT

# --dist loadfile: a module's tests share a worker, so a module's own dev host starts once. Not reordered, so each
# worker still runs the browser tests last (see tests/conftest.py).
python_status=0
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-6}" --dist loadfile --no-loadscope-reorder --durations=10 "$@" ||
  python_status=$?

node_status=0
wait "$node_pid" || node_status=$?
echo "=== Node tests (npm test) ==="
cat "$node_log"

((python_status == 0)) || echo "FAILED: the Python tests (pytest exit status $python_status)" >&2
((node_status == 0)) || echo "FAILED: the Node tests (npm test exit status $node_status)" >&2
((python_status == 0 && node_status == 0))
