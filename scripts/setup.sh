#!/usr/bin/env bash
# Make (or refresh) everything the project needs: .venv/ with the Python packages, node_modules/ with the
# pinned JS packages and, with --with-browser (what `make test` runs), what only the tests need: a Chromium for the
# browser tests and the Azure CLI in .venv/azure-cli/ for the deploy tests. Safe to run again; it skips what is up
# to date.
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
  # The Azure CLI that tests/deploy checks the deploy docs' commands against, in its own environment: it pins
  # packages the project's .venv has in other versions. About 50 s and 400 MB on first use. --no-compile: the tests
  # compile only the modules they load (the whole CLI would take a minute more and twice the disk).
  az_requirements=tests/deploy/azure-cli-requirements.txt
  if [ ! -f .venv/azure-cli/.installed ] || [ "$az_requirements" -nt .venv/azure-cli/.installed ]; then
    echo "setup: installing the Azure CLI for the deploy tests into .venv/azure-cli"
    [ -x .venv/azure-cli/bin/python ] || "$python" -m venv .venv/azure-cli
    .venv/azure-cli/bin/python -m pip install -q --no-compile -r "$az_requirements"
    touch .venv/azure-cli/.installed
  fi
fi
