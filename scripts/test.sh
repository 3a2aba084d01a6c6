#!/usr/bin/env bash
# The test command: installs what is missing, starts a throwaway PostgreSQL and the protocol stand-ins
# (one shared OTLP receiver, one shared Pyroscope receiver), exports their addresses, builds and runs
# `swift test` (extra arguments are passed through, e.g. --filter), and always cleans up.
#
#   scripts/test.sh [swift test arguments...]        (tests run one at a time unless HYBRID_TEST_PARALLEL=1)
#   scripts/test.sh --exec COMMAND [ARGS...]   same environment, runs COMMAND instead of build + test
#
# Exported for the tests (Tests/TestSupport reads them):
#   HYBRID_TEST_POSTGRES_URL         postgres://USER:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable
#   HYBRID_TEST_POSTGRES_SOCKET_DIR  the server's Unix socket directory (same port)
#   HYBRID_TEST_OTLP_GRPC_ENDPOINT   http://127.0.0.1:PORT   (OTLP/gRPC)
#   HYBRID_TEST_OTLP_HTTP_ENDPOINT   http://127.0.0.1:PORT   (OTLP/HTTP; POST /v1/traces)
#   HYBRID_TEST_OTLP_QUERY_URL       http://127.0.0.1:PORT   (GET /spans?trace_id=HEX, /health)
#   HYBRID_TEST_PYROSCOPE_URL        http://127.0.0.1:PORT   (Pyroscope ingest base URL; POST /ingest)
#   HYBRID_TEST_PYROSCOPE_QUERY_URL  http://127.0.0.1:PORT   (GET /uploads, /health; POST /control/...)
#   HYBRID_TEST_PYTHON               the stand-ins' venv python
#   HYBRID_TEST_STANDINS_DIR         scripts/standins (absolute), to start dedicated receivers
# The exit status is swift test's (or COMMAND's).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=lib/standins.sh
source "$ROOT/scripts/lib/standins.sh"

WORK=""
RECEIVER_PIDS=()
CHILD_PID=""

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  if [[ -n "$CHILD_PID" ]]; then kill -TERM "$CHILD_PID" 2>/dev/null || true; fi
  for pid in "${RECEIVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${RECEIVER_PIDS[@]}"; do
    # Bounded wait for the receiver to be gone, then make sure.
    timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  hybrid_pg_stop || true
  if [[ -n "$WORK" ]]; then
    local log
    for log in "$WORK"/*.log; do
      # A receiver writes to stderr only when something went wrong: show it.
      if [[ -s "$log" ]]; then echo "test.sh: $(basename "$log" .log) stand-in reported:" >&2; tail -n 20 "$log" >&2; fi
    done
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "test.sh: $1" >&2; exit 1; }

"$ROOT/scripts/setup.sh"
PYTHON="$ROOT/.venv/bin/python"
STANDINS="$ROOT/scripts/standins"
# Work directories of runs that were killed outright (their owner is gone) are removed first.
for stale in "${TMPDIR:-/tmp}"/hybrid-run-test.*; do
  owner="$(cat "$stale/owner" 2>/dev/null || true)"
  if [[ -n "$owner" ]] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$stale"; fi
done
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hybrid-run-test.XXXXXX")"
echo $$ >"$WORK/owner"

hybrid_pg_start || fail "could not start PostgreSQL"

# start_receiver, json_field, close_hold_fds: scripts/lib/standins.sh (uses WORK, PYTHON, STANDINS).
start_receiver otlp otlp_receiver.py
OTLP_LINE="$RECEIVER_LINE"
start_receiver pyroscope pyroscope_receiver.py
PYROSCOPE_LINE="$RECEIVER_LINE"

export HYBRID_TEST_POSTGRES_URL="$HYBRID_PG_URL"
export HYBRID_TEST_POSTGRES_SOCKET_DIR="$HYBRID_PG_SOCKET_DIR"
export HYBRID_TEST_OTLP_GRPC_ENDPOINT="$(json_field "$OTLP_LINE" grpc_endpoint)"
export HYBRID_TEST_OTLP_HTTP_ENDPOINT="$(json_field "$OTLP_LINE" http_endpoint)"
export HYBRID_TEST_OTLP_QUERY_URL="$(json_field "$OTLP_LINE" query_url)"
export HYBRID_TEST_PYROSCOPE_URL="$(json_field "$PYROSCOPE_LINE" url)"
export HYBRID_TEST_PYROSCOPE_QUERY_URL="$(json_field "$PYROSCOPE_LINE" query_url)"
export HYBRID_TEST_PYTHON="$PYTHON"
export HYBRID_TEST_STANDINS_DIR="$STANDINS"
for variable in HYBRID_TEST_OTLP_GRPC_ENDPOINT HYBRID_TEST_OTLP_HTTP_ENDPOINT HYBRID_TEST_OTLP_QUERY_URL \
    HYBRID_TEST_PYROSCOPE_URL HYBRID_TEST_PYROSCOPE_QUERY_URL; do
  [[ -n "${!variable}" ]] || fail "could not read $variable from the stand-ins' announcements"
done

# run COMMAND...: in the background so that INT/TERM reach the trap at once (the trap stops it). The subshell
# restores SIGINT/SIGQUIT, which bash ignores in background commands: the tests send signals to their children.
run() {
  local status=0
  ( trap - INT QUIT; close_hold_fds; exec "$@" ) &
  CHILD_PID=$!
  wait "$CHILD_PID" || status=$?
  CHILD_PID=""
  return "$status"
}

if [[ "${1:-}" == "--exec" ]]; then
  shift
  [[ $# -gt 0 ]] || fail "--exec needs a command"
  status=0
  run "$@" || status=$?
  exit "$status"
fi

run swift build --build-tests --quiet || fail "swift build --build-tests failed (status $?)"
# One test at a time by default: many tests bound wall-clock times (exit within 2-3 s with a collector
# black-holed, sampling rates), which a 2-core machine running every test at once cannot honour.
# HYBRID_TEST_PARALLEL=1 (or an explicit --parallel) runs them in parallel.
parallelism=(--no-parallel)
if [[ "${HYBRID_TEST_PARALLEL:-0}" == 1 || " $* " == *" --parallel "* || " $* " == *" --no-parallel "* ]]; then
  parallelism=()
fi
status=0
run swift test "${parallelism[@]}" "$@" || status=$?
exit "$status"
