#!/usr/bin/env bash
# Every static check, stopping at the first that fails: Python format and lint (ruff), types (mypy), JS/JSON/CSS
# format (Prettier) and JS lint (ESLint). Each tool keeps a cache (.ruff_cache, .mypy_cache, node_modules/.cache),
# so a run after a small change takes seconds. Settings: pyproject.toml, .prettierrc.json, eslint.config.js.
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
  echo "lint: $*"
  "$@"
}

step .venv/bin/ruff format --check --quiet .
step .venv/bin/ruff check --quiet .
step .venv/bin/mypy
step node_modules/.bin/prettier --check --cache --log-level warn site tests/js bench scripts '*.json' '*.js' .prettierrc.json
step node_modules/.bin/eslint --cache --cache-location node_modules/.cache/eslint/ site tests/js bench scripts eslint.config.js vite.config.js
echo "lint: all clean"
