#!/usr/bin/env bash
# Size of the HTML report of a 60 s, 1000 Hz profile of the loader (the target: under 5 MB), beside the pprof
# file of the same run. Release builds; its own throwaway PostgreSQL (scripts/lib/postgres.sh); telemetry off.
#
#   scripts/bench-report.sh [SECONDS] [COUNT]    profile SECONDS of loading (default 60) from a file of COUNT
#                                                records (default 10000000: more than 60 s of loading)
# The loader is stopped by timeout(1) after SECONDS (it rolls back), so the profile covers that long whatever
# the machine's speed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_PROFILED="${1:-60}"
COUNT="${2:-10000000}"
# shellcheck source=lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"

"$ROOT/scripts/setup.sh"
hybrid_release_build hybrid-run generator-otel loader-otel
BIN="$HYBRID_RELEASE_BIN"
WORK="$(mktemp -d)"
chmod 0755 "$WORK"
cleanup() { hybrid_pg_stop || true; rm -rf "$WORK"; }
trap cleanup EXIT
hybrid_pg_start
export OTEL_SDK_DISABLED=true

"$BIN/generator-otel" "$COUNT" "$WORK/orders.jsonl" --seed 7 2>/dev/null
status=0
"$BIN/hybrid-run" --rate 1000 -o "$WORK/report.html" -o "$WORK/cpu.pb.gz" -o "$WORK/cpu.folded" \
  -- timeout -s INT "$SECONDS_PROFILED" "$BIN/loader-otel" "$HYBRID_PG_URL" "$WORK/orders.jsonl" 2>"$WORK/hybrid-run.log" || status=$?
# 124 (or 130): timeout stopped the loader, as intended; anything else is a failure.
if [[ "$status" != 124 && "$status" != 130 && "$status" != 0 ]]; then
  echo "bench-report.sh: hybrid-run exited $status:" >&2; cat "$WORK/hybrid-run.log" >&2; exit 1
fi
samples="$(grep -o 'profile: [0-9]* samples taken' "$WORK/hybrid-run.log" | grep -o '[0-9]*' || echo '?')"
stacks="$(wc -l <"$WORK/cpu.folded")"
megabytes() { awk -v bytes="$(stat -c %s "$1")" 'BEGIN { printf "%.2f MB", bytes / 1e6 }'; }
row() { echo "| $1 | $samples | $stacks | $(megabytes "$WORK/report.html") | $(megabytes "$WORK/cpu.pb.gz") |"; }
echo "| run | samples | distinct stacks | report.html | cpu.pb.gz |"
echo "|---|---|---|---|---|"
row "$SECONDS_PROFILED s of loader-otel at 1000 Hz"

# The same length of a program that keeps a core busy (the generator writing to /dev/null): the most samples
# one thread gives at this rate, for the report's size per sample.
"$BIN/hybrid-run" --rate 1000 -o "$WORK/report.html" -o "$WORK/cpu.pb.gz" -o "$WORK/cpu.folded" \
  -- sh -c "exec timeout -s INT $SECONDS_PROFILED '$BIN/generator-otel' 2000000000 - >/dev/null" 2>"$WORK/hybrid-run.log" || true
samples="$(grep -o 'profile: [0-9]* samples taken' "$WORK/hybrid-run.log" | grep -o '[0-9]*' || echo '?')"
stacks="$(wc -l <"$WORK/cpu.folded")"
row "$SECONDS_PROFILED s of generator-otel (CPU-bound) at 1000 Hz"
