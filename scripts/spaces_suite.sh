#!/usr/bin/env bash
# Run @ably/spaces' own integration scenarios (its test/integration, vitest) against the emulator in sandbox mode.
#
#   scripts/spaces_suite.sh /path/to/spaces          (a checkout of github.com/ably/spaces)
#   make spaces-suite SPACES=/path/to/spaces
#
# The checkout is not modified: it is copied into the work directory (SPACES_WORK, default /tmp/spaces-suite), its
# dev dependencies come from npm (`npm ci` against its own lock file), and ONE file is replaced: test/lib/ablySandbox.ts,
# the helper that creates a test app on Ably's sandbox. The replacement creates the app with `POST /apps` on the
# emulator (`python -m emulator --sandbox`), as Ably's sandbox does, and routes the clients the scenarios make with
# `environment: 'sandbox'` to the emulator instead of Ably's sandbox hosts. Its test-app spec is keys[0] of
# ably-common's test-app-setup.json (a key with the full capability), so the ably-common submodule need not be filled.
# Prints vitest's verbose report, then one line "spaces: N passed, M failed, K skipped"; exits non-zero on a failure.
# Environment: SPACES_WORK, EMULATOR_PORT (default 18190), EMULATOR_SRC (the tree whose emulator/ runs, default this
# repository; e.g. a `git worktree` of an older commit, to measure before/after), SPACES_PREPARED=1 (reuse SPACES_WORK's
# copy and install from an earlier run).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/background.sh
source "$repo/scripts/lib/background.sh"
case "${1:-}" in
  -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  "") echo "give the path of a checkout of ably/spaces (see --help)" >&2; exit 2 ;;
esac
src=$1
work=${SPACES_WORK:-/tmp/spaces-suite}
port=${EMULATOR_PORT:-18190}
emulator_src=${EMULATOR_SRC:-$repo}
dir=$work/spaces
logs=$work/logs
mkdir -p "$logs"

say() { printf '== %s\n' "$*" >&2; }

prepare() {
  say "spaces: copying $src ($(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo 'not a git work tree'))"
  rm -rf "$dir" && mkdir -p "$dir"
  tar -C "$src" --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C "$dir" -xf - || return 1
  say "spaces: npm ci (its dev dependencies)"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund) >"$logs/npm-ci.log" 2>&1 ||
    { echo "npm ci failed (see $logs/npm-ci.log)" >&2; return 1; }
}

replace_sandbox_helper() {
  cat >"$dir/test/lib/ablySandbox.ts" <<'EOF'
/**
 * Put in place of @ably/spaces' own test/lib/ablySandbox.ts by ably-p2p-swa-starter's scripts/spaces_suite.sh:
 * the test app is created on the Ably emulator (`python -m emulator --sandbox`) with `POST /apps`, as on Ably's
 * sandbox, and ably-js clients made with `environment: 'sandbox'` connect to the emulator instead of Ably's hosts.
 */
import { Realtime } from 'ably';

const emulator = new URL(process.env.SPACES_EMULATOR_URL ?? 'http://127.0.0.1:18190');

type ClientOptions = Record<string, unknown>;
type Defaults = { normaliseOptions: (options: ClientOptions, ...rest: unknown[]) => unknown };
const defaults = (Realtime as unknown as { Platform: { Defaults: Defaults } }).Platform.Defaults;
const normaliseOptions = defaults.normaliseOptions;
defaults.normaliseOptions = (options, ...rest) => {
  if (options.environment === 'sandbox') {
    delete options.environment;
    Object.assign(options, {
      restHost: emulator.hostname,
      realtimeHost: emulator.hostname,
      port: Number(emulator.port),
      tls: false,
    });
  }
  return normaliseOptions(options, ...rest);
};

export interface TestApp {
  keys: TestAppKey[];
}

export interface TestAppKey {
  id: string;
  value: string;
  keyName: string;
  keySecret: string;
  keyStr: string;
  capability: string;
  expires: number;
}

export async function createSandboxAblyAPIKey() {
  const response = await fetch(new URL('/apps', emulator), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ keys: [{}] }),
  });
  if (!response.ok) {
    throw new Error(`Unexpected status code ${response.status}`);
  }
  const testApp = (await response.json()) as TestApp;
  return testApp.keys[0].keyStr;
}
EOF
}

emulator_pid=""
start_emulator() {
  say "emulator: --sandbox on port $port"
  start_in_background "$logs/emulator.log" "listening on http://" "the emulator" \
    bash -c 'cd "$1" && shift && exec "$@"' _ "$emulator_src" "$repo/.venv/bin/python" -m emulator --sandbox \
    --host 127.0.0.1 --port "$port" && emulator_pid=$started_pid
}
trap 'stop_in_background "$emulator_pid"' EXIT

if [[ -z ${SPACES_PREPARED:-} ]]; then
  prepare || exit 1
fi
replace_sandbox_helper
start_emulator || exit 1
report=$work/vitest.json
rm -f "$report"
(cd "$dir" && SPACES_EMULATOR_URL=http://127.0.0.1:$port timeout 600 node_modules/.bin/vitest run test/integration \
  --reporter=verbose --reporter=json --outputFile.json="$report") 2>&1 | tee "$logs/vitest.log"
status=${PIPESTATUS[0]}
[[ -f $report ]] && node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`spaces: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report"
exit "$status"
