#!/usr/bin/env bash
# Make (or refresh) everything the project needs: .venv/ with the Python packages, node_modules/ with the
# pinned JS packages, and a Chromium for the browser tests. Safe to run again; it skips what is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ requirements.txt -nt .venv/.installed ] || [ requirements-dev.txt -nt .venv/.installed ]; then
  echo "setup: installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  touch .venv/.installed
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # --ignore-scripts: the SWA CLI (kept only for its config schema) pulls keytar, whose install script downloads a binary.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--with-browser" ]; then
  chromium=$(.venv/bin/python -c 'from tests.browser_path import chromium_executable as c; print(c() or "")')
  if [ -z "$chromium" ]; then
    echo "setup: no system Chromium found; downloading Playwright's"
    .venv/bin/python -m playwright install chromium
  fi
fi
