#!/usr/bin/env bash
# The main job on embedded defaults: the hybrid profiling guide's workflow with both flags on, end to end.
#
#   scripts/demo.sh            (from any directory)
#
# Installs what is missing (scripts/setup.sh), builds hybrid-run, generator-otel and loader-otel (release, as
# users run them: a debug build's profile is dominated by runtime checks that -O removes, such as
# swift_beginAccess; .build/release, beside the tests' .build/debug), starts a throwaway PostgreSQL and the
# local OTLP and Pyroscope stand-ins, then runs
#
#   PYROSCOPE_ENABLE=true PYROSCOPE_TRACE_CORRELATION=true PYROSCOPE_SERVER_ADDRESS=<Pyroscope stand-in> \
#   OTEL_EXPORTER_OTLP_ENDPOINT=<OTLP stand-in, gRPC> OTEL_RESOURCE_ATTRIBUTES=service.name=generator-otel,env=dev \
#     hybrid-run -o generator.html -o generator.pb.gz -o generator.folded -o generator.speedscope.json \
#       -- generator-otel RECORDS orders.jsonl
#   ... and the same for: loader-otel <throwaway PostgreSQL URL> orders.jsonl  (service.name=loader-otel)
#   hybrid-run --wall -o loader.wall.pb.gz -- loader-otel <URL> orders.jsonl --table orders_wall
#     (then scripts/standins/wall_split.py: the load's wall time as client CPU vs waiting for the server, in all and
#     per child span)
#
# and prints, for each run, the trace id, the span tree the OTLP stand-in received, the top functions of the
# profile the Pyroscope stand-in received (checking that its trace_id label is the trace id) and of each child span
# (samples labelled with its span_id: the workloads publish their active span, OTEP 4947) beside its duration, and where the
# files are: out/demo-<UTC timestamp>/ under the repository root (kept; logs/ holds every step's log).
#
# Quiet apart from that report (and one line before a first build, which takes minutes); on failure one line
# naming the step and its log. Exit 0 only when every step worked and every correlation check matched.
# PostgreSQL and the stand-ins are always stopped.
# HYBRID_DEMO_RECORDS (default 150000) sets the record count. Inherited OTEL_*, PYROSCOPE_*, HYBRID_LOG_*,
# HYBRID_OTEL_* and TRACEPARENT/TRACESTATE/BAGGAGE are ignored: the demo runs on the embedded defaults.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=lib/standins.sh
source "$ROOT/scripts/lib/standins.sh"

RECORDS="${HYBRID_DEMO_RECORDS:-150000}"
PYTHON="$ROOT/.venv/bin/python"
STANDINS="$ROOT/scripts/standins"
STARTED=$SECONDS

while read -r variable; do
  unset "$variable"
done < <(compgen -e | grep -E '^(OTEL_|PYROSCOPE_|HYBRID_LOG_|HYBRID_OTEL_)|^(TRACEPARENT|TRACESTATE|BAGGAGE)$' || true)
# A caller's own throwaway PostgreSQL (scripts/test.sh exports HYBRID_PG_DIR) is not the demo's to stop: the
# cleanup stops only the server hybrid_pg_start started here.
unset HYBRID_PG_DIR HYBRID_PG_URL HYBRID_PG_PASSWORD

# The output folder: out/demo-<UTC timestamp>[-N]/ (N when two demos start in the same second).
mkdir -p "$ROOT/out"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/out/demo-$STAMP"
suffix=1
until mkdir "$OUT" 2>/dev/null; do
  suffix=$((suffix + 1))
  OUT="$ROOT/out/demo-$STAMP-$suffix"
done
LOGS="$OUT/logs"
mkdir "$LOGS"
WORK="$LOGS"  # the stand-ins' announcement FIFOs (removed once read) and their stderr logs

CHILD_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$CHILD_PID" ]]; then
    # hybrid-run passes SIGTERM to its command and exits within its own bounds (about 5 s): wait for it while
    # the stand-ins are still up, so it does not stay behind retrying them.
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    timeout 10 tail --pid="$CHILD_PID" -f /dev/null 2>/dev/null || kill -KILL "$CHILD_PID" 2>/dev/null || true
  fi
  stop_receivers
  hybrid_pg_stop >/dev/null 2>&1 || true
  find "$LOGS" -type f -empty -delete 2>/dev/null || true  # the stand-ins' logs stay empty when all is well
  exit "$status"
}
trap cleanup EXIT
trap 'echo "demo.sh: interrupted; logs: $LOGS" >&2; exit 130' INT
trap 'echo "demo.sh: terminated; logs: $LOGS" >&2; exit 143' TERM

# fail STEP LOG [DETAIL]: the one line of a failure.
fail() {
  echo "demo.sh: $1 failed${3:+: $3}; log: $2" >&2
  exit 1
}

# step NAME LOG COMMAND...: runs COMMAND with its output appended to LOG; a failure ends the demo. In the
# background, so that INT/TERM reach the trap at once (the cleanup stops COMMAND); the subshell restores
# SIGINT/SIGQUIT, which bash ignores in background commands, and closes the stand-ins' stdin pipes.
step() {
  local name="$1" log="$2" status=0
  shift 2
  ( trap - INT QUIT; close_hold_fds; exec "$@" ) >>"$log" 2>&1 </dev/null &
  CHILD_PID=$!
  wait "$CHILD_PID" || status=$?
  CHILD_PID=""
  if ((status != 0)); then
    local said
    # The first error line (a compiler's, or a program's "name: error: ..."), else the first warning.
    said="$(grep -m 1 -i -E '(^|: )error: ' "$log" 2>/dev/null || grep -m 1 -E '^[a-z-]+: warning: ' "$log" 2>/dev/null || true)"
    said="${said//"$ROOT"\//}"
    fail "$name" "$log" "exit status $status${said:+ ($said)}"
  fi
}

# phase NAME: the time since the previous phase ended, for the last line.
TIMES=()
PHASE_START=$SECONDS
phase() {
  TIMES+=("$1 $((SECONDS - PHASE_START)) s")
  PHASE_START=$SECONDS
}

step "setup (scripts/setup.sh)" "$LOGS/setup.log" "$ROOT/scripts/setup.sh"
phase setup
PRODUCTS=(hybrid-run generator-otel loader-otel)
BIN="$(swift build -c release --show-bin-path 2>>"$LOGS/build.log")" || fail "swift build -c release --show-bin-path" "$LOGS/build.log"
for product in "${PRODUCTS[@]}"; do
  if [[ ! -x "$BIN/$product" ]]; then
    echo "demo: building ${PRODUCTS[0]}, ${PRODUCTS[1]} and ${PRODUCTS[2]} (release) — the first build takes about 8 minutes on 2 cores"
    break
  fi
done
for product in "${PRODUCTS[@]}"; do
  step "swift build -c release --product $product" "$LOGS/build.log" swift build -c release --product "$product"
done
phase build

# first_line FILE: the first line of FILE (a failure's reason), without the "program: " prefix of the libraries.
first_line() { head -n 1 "$1" 2>/dev/null | sed -E 's/^(postgres|demo|test)\.sh: //'; }

hybrid_pg_start 2>>"$LOGS/postgres.log" || fail "starting PostgreSQL" "$LOGS/postgres.log" "$(first_line "$LOGS/postgres.log")"
# start_receiver's own complaint goes to NAME.start.log; the stand-in's stderr is in NAME.log.
start_receiver otlp otlp_receiver.py --out "$OUT/spans.jsonl" 2>"$LOGS/otlp.start.log" \
  || fail "starting the OTLP stand-in" "$LOGS/otlp.log" "$(first_line "$LOGS/otlp.start.log")"
OTLP_LINE="$RECEIVER_LINE"
start_receiver pyroscope pyroscope_receiver.py --out "$OUT/pyroscope" 2>"$LOGS/pyroscope.start.log" \
  || fail "starting the Pyroscope stand-in" "$LOGS/pyroscope.log" "$(first_line "$LOGS/pyroscope.start.log")"
rm -f "$LOGS/otlp.start.log" "$LOGS/pyroscope.start.log"
PYROSCOPE_LINE="$RECEIVER_LINE"
OTLP_GRPC="$(json_field "$OTLP_LINE" grpc_endpoint)" || true
OTLP_QUERY="$(json_field "$OTLP_LINE" query_url)" || true
PYROSCOPE_URL="$(json_field "$PYROSCOPE_LINE" url)" || true
PYROSCOPE_QUERY="$(json_field "$PYROSCOPE_LINE" query_url)" || true
[[ -n "$OTLP_GRPC" && -n "$OTLP_QUERY" ]] || fail "reading the OTLP stand-in's announcement" "$LOGS/otlp.log" "$OTLP_LINE"
[[ -n "$PYROSCOPE_URL" && -n "$PYROSCOPE_QUERY" ]] \
  || fail "reading the Pyroscope stand-in's announcement" "$LOGS/pyroscope.log" "$PYROSCOPE_LINE"
phase "PostgreSQL and stand-ins"

# hybrid_step SERVICE NAME COMMAND...: the guide's environment, hybrid-run writing the local profiles NAME.*.
hybrid_step() {
  local service="$1" name="$2"
  shift 2
  step "$service under hybrid-run" "$LOGS/$name.log" env PATH="$BIN:$PATH" \
    PYROSCOPE_ENABLE=true PYROSCOPE_TRACE_CORRELATION=true PYROSCOPE_SERVER_ADDRESS="$PYROSCOPE_URL" \
    OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_GRPC" OTEL_RESOURCE_ATTRIBUTES="service.name=$service,env=dev" \
    hybrid-run -o "$OUT/$name.html" -o "$OUT/$name.pb.gz" -o "$OUT/$name.folded" -o "$OUT/$name.speedscope.json" -- "$@"
}
hybrid_step generator-otel generator generator-otel "$RECORDS" "$OUT/orders.jsonl"
phase generator-otel
hybrid_step loader-otel loader loader-otel "$HYBRID_PG_URL" "$OUT/orders.jsonl"
phase loader-otel
# The issue-11 showcase: the loader once more with --wall (a table of its own, local file only, spans to the OTLP
# stand-in so that the loader publishes them) and its wall time split into client CPU and waiting for the server, in
# all and per child span, read from the wall profile it wrote.
step "loader-otel under hybrid-run --wall" "$LOGS/loader-wall.log" env PATH="$BIN:$PATH" OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_GRPC" \
  OTEL_RESOURCE_ATTRIBUTES="service.name=loader-otel,env=dev" \
  hybrid-run --wall -o "$OUT/loader.wall.pb.gz" -- loader-otel "$HYBRID_PG_URL" "$OUT/orders.jsonl" --table orders_wall
"$PYTHON" "$STANDINS/wall_split.py" "$OUT/loader.wall.pb.gz" >"$LOGS/wall-split.txt" 2>"$LOGS/wall-split.log" \
  || fail "splitting the loader's wall time" "$LOGS/wall-split.log" "$(first_line "$LOGS/wall-split.log")"
phase "loader-otel --wall"

# The reports, printed only once both are complete and every check matched.
report() {
  local service="$1" name="$2" title="$3" status=0
  "$PYTHON" "$STANDINS/show_run.py" --otlp-query "$OTLP_QUERY" --pyroscope-query "$PYROSCOPE_QUERY" \
    --service "$service" --hybrid-log "$LOGS/$name.log" --local-profile "$OUT/$name.pb.gz" --base "$OUT" \
    --title "$title" >"$LOGS/report-$name.txt" 2>"$LOGS/report-$name.log" || status=$?
  if ((status != 0)); then
    local problem
    problem="$(head -n 1 "$LOGS/report-$name.log" | sed 's/^show_run.py: //')"
    fail "the correlation check of $service" "$LOGS/report-$name.log" "${problem:-show_run.py exit status $status}"
  fi
}
report generator-otel generator "generator-otel $RECORDS orders.jsonl"
report loader-otel loader "loader-otel postgres://…(throwaway PostgreSQL) orders.jsonl"

stop_receivers
hybrid_pg_stop >/dev/null 2>&1 || true
phase "report and clean-up"

spans="$(wc -l <"$OUT/spans.jsonl")"
orders_size="$(numfmt --to=iec-i --suffix=B --format=%.1f "$(stat -c %s "$OUT/orders.jsonl")")"
received="$(cd "$OUT" && ls pyroscope/* 2>/dev/null | tr '\n' ' ')"
cat "$LOGS/report-generator.txt"
echo
cat "$LOGS/report-loader.txt"
echo
echo "loader-otel under hybrid-run --wall: where the load's wall time went (loader.wall.pb.gz, go tool pprof -sample_index=wall)"
cat "$LOGS/wall-split.txt"
echo
echo "files in $OUT/"
echo "  reports          generator.html loader.html (open offline in any browser: run, flame graph, trace)"
echo "  local profiles   generator.pb.gz generator.folded generator.speedscope.json"
echo "                   loader.pb.gz loader.folded loader.speedscope.json, loader.wall.pb.gz (--wall)"
echo "  received pprof   ${received% }"
echo "  spans (JSONL)    spans.jsonl ($spans spans, as the OTLP stand-in received them)"
echo "  orders           orders.jsonl ($RECORDS records, $orders_size; loaded into the throwaway PostgreSQL, now gone)"
echo "  logs             logs/"
echo "  view with        go tool pprof -top $OUT/generator.pb.gz (or -http=:8080),"
echo "                   or load a .speedscope.json at https://www.speedscope.app"
summary="$(printf '%s, ' "${TIMES[@]}")"
echo "demo: done in $((SECONDS - STARTED)) s (${summary%, })"
