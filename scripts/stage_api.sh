#!/usr/bin/env bash
# Stage the Functions app into its own folder (default dist/api) for SWA's api_location, so that site/, tests/
# and the dev tooling stay out of the deployed API (SWA's build does not read .funcignore).
# Usage: scripts/stage_api.sh [DEST]
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-dist/api}
case "$dest" in
  "" | "." | "./" | "/" | "..") echo "stage_api: refusing to replace $dest" >&2; exit 2 ;;
esac
rm -rf "$dest"
mkdir -p "$dest"
cp host.json requirements.txt function_app.py "$dest/"
mkdir -p "$dest/api"
# Only the package's Python sources: no __pycache__ from local runs.
find api -name '*.py' -exec cp --parents {} "$dest/" \;
echo "stage_api: staged the Functions app in $dest"
