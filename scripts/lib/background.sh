# shellcheck shell=bash
# Sourced by scripts/sdk_suites.sh and scripts/spaces_suite.sh: a server in the background, waited for by its
# ready line, and stopped when the run ends.

# start_in_background LOG READY WHAT COMMAND...: run COMMAND with its output in LOG and wait (30 s at most) for a
# line of LOG containing READY; `started_pid` is its pid. Fails, showing LOG, if it exits or never gets ready.
start_in_background() {
  local log=$1 ready=$2 what=$3 waited=0
  shift 3
  "$@" >"$log" 2>&1 &
  started_pid=$!
  until grep -qsF "$ready" "$log"; do
    kill -0 "$started_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    ((waited++ < 300)) || { echo "$what did not start" >&2; return 1; }
    sleep 0.1
  done
}

# stop_in_background PID: end a server start_in_background started (nothing when PID is empty).
stop_in_background() { [[ -z $1 ]] || kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
