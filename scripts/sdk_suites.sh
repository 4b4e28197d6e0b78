#!/usr/bin/env bash
# Run the official SDKs' own test suites (ably-js, ably-python) against the emulator in sandbox mode, one process
# per test file, and write a per-file table (markdown) of passed / failed / skipped.
#
#   scripts/sdk_suites.sh --js /path/to/ably-js --python /path/to/ably-python [--offline] [FILE...]
#   make sdk-suites ABLY_JS=/path/to/ably-js ABLY_PYTHON=/path/to/ably-python
#
# The checkouts are not modified: each is copied into the work directory (SDK_WORK, default /tmp/sdk-suites).
# Their ably-common submodules must be filled (ably-js: test/common/ably-common, ably-python: submodules) at the
# commits the checkouts pin. Everything else comes from npm and PyPI:
#  - ably-js: a trimmed package.json (only what the node build and mocha need; its two GitHub-fork dev
#    dependencies replaced by the registry's packages of the same name: async 1.5.2, esbuild-plugin-umd-wrapper
#    1.0.7), `npm install --ignore-scripts`, the node/push/liveobjects bundles built with esbuild, then mocha per
#    file with ABLY_ENDPOINT=127.0.0.1 ABLY_PORT=<port> ABLY_USE_TLS=false ABLY_TEST_TRANSPORTS=web_socket.
#  - ably-python: a venv with the checkout's `[crypto,dev]` extras. Its testapp.py hard-codes ports
#    80/443 and refuses basic auth over http, so the emulator also listens with TLS on 443 (needs root or
#    CAP_NET_BIND_SERVICE) with a certificate from a throwaway CA that the tests trust through SSL_CERT_FILE, and
#    ABLY_ENDPOINT=localhost points the tests at it (no /etc/hosts change).
# FILE arguments (paths relative to a checkout, e.g. test/realtime/presence.test.js) limit the run to those files.
# Every test that fails must be in emulator/sdk-known-failures.toml with its reason (scripts/sdk_results.py): the
# run fails on a failure not listed there and on a listed test that passes now (stale); the table counts both.
# Environment: SDK_WORK, SDK_SUITES_OUT (table, default test-artifacts/sdk-suites.md), SDK_KNOWN_FAILURES,
# FILE_TIMEOUT (seconds per file, default 900), EMULATOR_PORT (plain port; default 80 with --python, whose tests use
# http on port 80 too, else 18081), TLS_PORT (default 443), EMULATOR_SRC (the tree whose emulator/ runs, default this
# repository; e.g. a `git worktree` of an older commit, to measure before/after), SDK_PREPARED=1 (reuse SDK_WORK's
# copies and installs from an earlier run). ably-python's failures are reported with --tb=native: pytest's own
# traceback style re-parses the test's source, which crashed pytest (INTERNALERROR) mid-file on a failure whose
# coroutines were being finalised.
# --offline (root): after installing, the run goes on in a new network and mount namespace where only loopback
# exists, with a stand-in for echo.ably.io (Ably's test-support server, which the suites' authUrl, JWT and
# request() tests call: tests/stand_ins/echo.py) on https://127.0.0.2:443. Inside that namespace only, /etc/hosts
# (bind-mounted over) resolves echo.ably.io to 127.0.0.2, and node (NODE_EXTRA_CA_CERTS) and Python (SSL_CERT_FILE)
# trust the run's throwaway CA, which issued the certificate for localhost, 127.0.0.1 and echo.ably.io; the real
# echo.ably.io is never resolved or reached. The emulator sends in-band AUTH 30 s before a token expires, as Ably's
# sandbox does (--reauth-before-expiry 30), which the suites' JWT renewal tests wait for.
# Rate limits: the suites are written against Ably's sandbox, whose test apps are evidently not held to the Free
# plan's limits (its files open more than 42 connections a second and publish 60 messages back to back on one channel
# over REST, and pass there) and whose limits Ably does not document; so the emulator runs them with its rate limits
# off. RATE_LIMITS=ably keeps the emulator's defaults (Ably's published limits) instead: see emulator/COVERAGE.md for
# what then fails, and why.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/background.sh
source "$repo/scripts/lib/background.sh"
js_src="" python_src="" only=() offline=0 args=("$@")
while (($#)); do
  case "$1" in
    --js) js_src=$2; shift 2 ;;
    --python) python_src=$2; shift 2 ;;
    --offline) offline=1; shift ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) only+=("$1"); shift ;;
  esac
done
[[ -n $js_src || -n $python_src ]] || { echo "give --js PATH and/or --python PATH (see --help)" >&2; exit 2; }
work=${SDK_WORK:-/tmp/sdk-suites}
out=${SDK_SUITES_OUT:-$repo/test-artifacts/sdk-suites.md}
known=${SDK_KNOWN_FAILURES:-$repo/emulator/sdk-known-failures.toml}
file_timeout=${FILE_TIMEOUT:-900}
port=${EMULATOR_PORT:-$([[ -n $python_src ]] && echo 80 || echo 18081)}
tls_port=${TLS_PORT:-443}
rate_limits=(--max-connection-publish-rate 0 --max-channel-publish-rate 0 --max-new-connection-rate 0)
[[ ${RATE_LIMITS:-off} == ably ]] && rate_limits=()
emulator_src=${EMULATOR_SRC:-$repo}
logs=$work/logs
mkdir -p "$work" "$logs" "$(dirname "$out")"
results=$work/results.tsv
: >"$results"

say() { printf '== %s\n' "$*" >&2; }

wanted() { # wanted FILE: whether FILE is selected (all files when none were named)
  ((${#only[@]} == 0)) && return 0
  local want
  for want in "${only[@]}"; do [[ $1 == "$want" || $1 == */"$want" ]] && return 0; done
  return 1
}

copy_tree() { # copy_tree SRC DST: the checkout without node_modules, builds or virtualenvs
  rm -rf "$2" && mkdir -p "$2"
  tar -C "$1" --exclude=./node_modules --exclude=./build --exclude=./.venv --exclude=./.git -cf - . | tar -C "$2" -xf -
}

commit_of() {
  git -C "$1" rev-parse HEAD 2>/dev/null || echo "unknown (not a git work tree)"
}

prepare_js() {
  local dir=$work/ably-js
  say "ably-js: copying $js_src"
  copy_tree "$js_src" "$dir"
  [[ -f $dir/test/common/ably-common/test-resources/test-app-setup.json ]] ||
    { echo "ably-js: test/common/ably-common is empty; fill the submodule first" >&2; return 1; }
  (
    cd "$dir" && node -e '
      const fs = require("fs");
      const pkg = JSON.parse(fs.readFileSync("package.json"));
      const keep = ["@ably/vcdiff-decoder", "@babel/generator", "@babel/parser", "@babel/traverse", "chai", "esbuild",
        "mocha", "mocha-junit-reporter", "source-map-support"];
      const dev = Object.fromEntries(keep.map((name) => [name, pkg.devDependencies[name]]));
      dev["async"] = "1.5.2";
      dev["esbuild-plugin-umd-wrapper"] = "1.0.7";
      pkg.devDependencies = dev;
      delete pkg.scripts.prepare;
      fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2));
      fs.rmSync("package-lock.json", { force: true });
    ' &&
      say "ably-js: npm install" &&
      npm install --ignore-scripts --no-audit --no-fund >"$logs/js-npm-install.log" 2>&1 &&
      say "ably-js: building the node bundles" &&
      node -e '
        const esbuild = require("esbuild");
        const configs = require("./grunt/esbuild/build.js");
        Promise.all(["nodeConfig", "pushPluginConfig", "liveObjectsPluginConfig"].map((n) => esbuild.build(configs[n])))
          .catch((err) => { console.error(err); process.exit(1); });
      ' >"$logs/js-build.log" 2>&1
  )
}

prepare_python() {
  local dir=$work/ably-python venv=$work/venv-python
  say "ably-python: copying $python_src"
  copy_tree "$python_src" "$dir"
  [[ -f $dir/submodules/test-resources/messages-encoding.json ]] ||
    { echo "ably-python: submodules/ (ably-common) is empty; fill the submodule first" >&2; return 1; }
  if [[ ! -x $venv/bin/pytest ]]; then
    say "ably-python: venv with its [crypto,dev] extras"
    python3 -m venv "$venv" &&
      "$venv/bin/pip" install -q "$dir[crypto,dev]" >"$logs/python-pip.log" 2>&1 || return 1
  fi
}

make_certificates() { # a throwaway CA ($work/ca.pem) and its certificate for the emulator's TLS and the echo stand-in
  "$repo/.venv/bin/python" - "$work" <<'EOF'
import sys, trustme
work = sys.argv[1]
ca = trustme.CA()
ca.cert_pem.write_to_path(f"{work}/ca.pem")
server = ca.issue_cert("localhost", "127.0.0.1", "echo.ably.io")
server.private_key_pem.write_to_path(f"{work}/server-key.pem")
server.cert_chain_pems[0].write_to_path(f"{work}/server-cert.pem")
for extra in server.cert_chain_pems[1:]:
    extra.write_to_path(f"{work}/server-cert.pem", append=True)
EOF
}

loopback_only() { # inside the namespace: loopback up, echo.ably.io → 127.0.0.2 (this namespace's /etc/hosts only)
  ip link set lo up || return 1
  { cat /etc/hosts; printf '127.0.0.2 echo.ably.io\n'; } >"$work/hosts" && mount --bind "$work/hosts" /etc/hosts
}

echo_pid=""
start_echo() {
  say "echo.ably.io stand-in on https://127.0.0.2:443"
  start_in_background "$logs/echo.log" "Running on" "the echo stand-in" \
    bash -c 'cd "$1" && exec .venv/bin/python -m tests.stand_ins.echo --host 127.0.0.2 --port 443 --cert "$2" --key "$3"' \
    _ "$repo" "$work/server-cert.pem" "$work/server-key.pem" && echo_pid=$started_pid
}

emulator_pid=""
start_emulator() {
  local tls=()
  [[ -f $work/server-cert.pem && -n $python_src ]] &&
    tls=(--tls-cert "$work/server-cert.pem" --tls-key "$work/server-key.pem" --tls-port "$tls_port")
  say "emulator: --sandbox on port $port ${tls:+and TLS on $tls_port}"
  start_in_background "$logs/emulator.log" "listening on http://" "the emulator" \
    bash -c 'cd "$1" && shift && exec "$@"' _ "$emulator_src" "$repo/.venv/bin/python" -m emulator --sandbox \
    --host 127.0.0.1 --port "$port" --reauth-before-expiry 30 "${rate_limits[@]}" "${tls[@]}" &&
    emulator_pid=$started_pid
}
trap 'stop_in_background "$emulator_pid"; stop_in_background "$echo_pid"' EXIT

record() { # record SUITE FILE XML NOTE: one line for scripts/sdk_results.py
  printf '%s\t%s\t%s\t%s\n' "$@" >>"$results"
  printf '   %-10s %-55s %s\n' "$1" "$2" "$4" >&2
}

run_js() {
  local dir=$work/ably-js file log xml status
  for file in "$dir"/test/realtime/*.test.js "$dir"/test/rest/*.test.js "$dir"/test/unit/*.test.js; do
    file=${file#"$dir"/}
    wanted "$file" || continue
    log=$logs/js-$(echo "$file" | tr / _).log
    xml=${log%.log}.xml
    rm -f "$xml"
    (cd "$dir" && ABLY_ENDPOINT=127.0.0.1 ABLY_PORT=$port ABLY_USE_TLS=false ABLY_TEST_TRANSPORTS=web_socket \
      NODE_EXTRA_CA_CERTS=$work/ca.pem \
      timeout "$file_timeout" node_modules/.bin/mocha --exit --reporter mocha-junit-reporter \
      --reporter-options "mochaFile=$xml" "$file") >"$log" 2>&1
    status=$?
    record ably-js "$file" "$xml" "$( ((status == 124)) && echo "timed out after ${file_timeout}s")"
  done
}

run_python() {
  local dir=$work/ably-python venv=$work/venv-python file log xml status
  for file in "$dir"/test/ably/rest/*_test.py "$dir"/test/ably/realtime/*_test.py "$dir"/test/unit/*_test.py; do
    file=${file#"$dir"/}
    wanted "$file" || continue
    log=$logs/py-$(echo "$file" | tr / _).log
    xml=${log%.log}.xml
    rm -f "$xml"
    (cd "$dir" && ABLY_ENDPOINT=localhost ABLY_TLS=true SSL_CERT_FILE=$work/ca.pem \
      timeout "$file_timeout" "$venv/bin/pytest" -p no:cacheprovider -rfEs --timeout 60 --tb=native \
      --junitxml="$xml" "$file") >"$log" 2>&1
    status=$?
    record ably-python "$file" "$xml" "$( ((status == 124)) && echo "timed out after ${file_timeout}s")"
  done
}

status=0
if [[ -z ${SDK_PREPARED:-} ]]; then
  [[ -z $js_src ]] || prepare_js || { echo "ably-js set-up failed (logs in $logs)" >&2; exit 1; }
  [[ -z $python_src ]] || prepare_python || { echo "ably-python set-up failed (logs in $logs)" >&2; exit 1; }
fi
make_certificates >"$logs/certificates.log" 2>&1 || { cat "$logs/certificates.log" >&2; exit 1; }
if ((offline)) && [[ -z ${SDK_IN_NAMESPACE:-} ]]; then
  say "offline: the run goes on in a network namespace with loopback only"
  SDK_PREPARED=1 SDK_IN_NAMESPACE=1 exec unshare --net --mount "$0" "${args[@]}"
fi
if [[ -n ${SDK_IN_NAMESPACE:-} ]]; then
  loopback_only || { echo "could not set up the namespace's loopback and /etc/hosts" >&2; exit 1; }
  start_echo || exit 1
fi
start_emulator || exit 1
[[ -z $js_src ]] || run_js
[[ -z $python_src ]] || run_python
header="Generated by \`scripts/sdk_suites.sh\` on $(date -u +%Y-%m-%dT%H:%MZ)."
[[ -z $js_src ]] || header+=" ably-js $(commit_of "$js_src")."
[[ -z $python_src ]] || header+=" ably-python $(commit_of "$python_src")."
header+=" Logs and JUnit reports: $logs."
"$repo/.venv/bin/python" "$repo/scripts/sdk_results.py" --known "$known" --out "$out" --header "$header" <"$results" ||
  status=1
exit $status
