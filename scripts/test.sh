#!/usr/bin/env bash
# Run every test: Python (emulator with ably-python, API, dev host, browser) and Node (ably-js, P2P classes).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
.venv/bin/python -m pytest "$@" || status=$?
npm test || status=$?
exit $status
