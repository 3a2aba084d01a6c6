#!/usr/bin/env bash
# Does the ptrace sampler's profile add up to the CPU time the child really used? (issue 10, target 3)
#
# Workload: Tests/Fixtures/workload.c `threads N SECONDS` (N threads each spinning SECONDS of its own CPU time),
# built -O2 without frame pointers. With more busy threads than CPUs, each thread is runnable but waiting for a
# CPU most of the time: a sampler that counts one period per stopped thread counts that waiting as CPU time.
# For each thread count and rate it prints, medians of RUNS:
#   real CPU      the workload's user + system time as the kernel accounted it (bash's `times` for its
#                 children, around the workload inside the traced tree: independent of hybrid-run)
#   profile CPU   the CPU time hybrid-run's profile gives the workload's process (speedscope weights, ns)
#   ratio         profile / real
#   taken, lost, missed   from hybrid-run's summary (missed: while the profiler was behind the requested rate)
#   hybrid-run CPU        hybrid-run's own CPU time (all its threads: tracer, ticker, symbolization, writing),
#                         its children's accounted time minus the workload's and the inner shell's
#   wall ×                the workload's wall time under hybrid-run over its wall time bare, each profiled run
#                         followed by a bare one: what the stops cost it (a stopped thread waits for a CPU again on a
#                         loaded machine)
# SPINNERS=N runs N busy loops beside the workload throughout, so that even one thread waits for a CPU.
#
#   scripts/bench-ptrace-cpu.sh                       # builds hybrid-run in release first
#   HYBRID_RUN=path/to/hybrid-run THREADS="2 8" RATES="100 1000" SECONDS_PER_THREAD=1 RUNS=3 SPINNERS=0 scripts/bench-ptrace-cpu.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2 8}"
RATES="${RATES:-100 1000}"
SECONDS_PER_THREAD="${SECONDS_PER_THREAD:-1}"
RUNS="${RUNS:-3}"
SPINNERS="${SPINNERS:-0}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-ptrace-cpu.XXXXXX")"
spinners=()
trap 'rm -rf "$WORK"; if ((${#spinners[@]})); then kill "${spinners[@]}" 2>/dev/null || true; fi' EXIT
# `times` and EPOCHREALTIME print the locale's decimal point; awk reads a dot.
export LC_ALL=C

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"
clang -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -pthread -Wl,--build-id=sha1 \
  "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload"
export OTEL_SDK_DISABLED=true

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# `times` prints the shell's own user and system time, then its children's, as "0m1.234s 0m0.010s".
# Prints "children_seconds self_seconds" from that output (on stdin).
times_seconds() {
  sed -n 's/^\([0-9]*\)m\([0-9.]*\)s \([0-9]*\)m\([0-9.]*\)s$/\1 \2 \3 \4/p' \
    | awk 'NR == 1 { self = $1 * 60 + $2 + $3 * 60 + $4 } NR == 2 { children = $1 * 60 + $2 + $3 * 60 + $4 } END { print children, self }'
}

# The CPU seconds a speedscope file gives the processes named workload.
profile_cpu() {
  python3 -c '
import json, sys
profiles = json.load(open(sys.argv[1]))["profiles"]
print(sum(sum(p["weights"]) for p in profiles if p["name"].startswith("workload (pid ")) / 1e9)' "$1"
}

# Runs "$@" and writes when it started and ended to the file $1 (bash's EPOCHREALTIME, no process of its own: the
# inner shell's children are the workload alone).
timed() {
  local wall_file=$1 start
  shift
  start=$EPOCHREALTIME
  "$@"
  echo "$start $EPOCHREALTIME" >"$wall_file"
}

wall_seconds() { awk '{ printf "%.6f\n", $2 - $1 }' "$1"; }

# One run, profiled then bare: appends "real profile taken lost missed hybrid slowdown" to $WORK/THREADS-RATE.runs.
run_once() {
  local threads=$1 rate=$2
  # The inner shell times the workload (its children) and itself; the outer one times hybrid-run, whose
  # children's time (the inner shell and the workload, reaped under it) is in its own.
  bash -c 'times_file=$1; shift; "$@"; times >"$times_file"' _ "$WORK/hybrid.times" \
      "$HYBRID_RUN" --sampler ptrace --rate "$rate" -o "$WORK/out.speedscope.json" -- \
      bash -c "$(declare -f timed)"$'\n''times_file=$1; shift; timed "$@"; times >"$times_file"' _ "$WORK/workload.times" \
      "$WORK/profiled.wall" "$WORK/workload" threads "$threads" "$SECONDS_PER_THREAD" 2>"$WORK/stderr"
  timed "$WORK/bare.wall" "$WORK/workload" threads "$threads" "$SECONDS_PER_THREAD"
  local real inner_self hybrid
  read -r real inner_self < <(times_seconds <"$WORK/workload.times")
  read -r hybrid _ < <(times_seconds <"$WORK/hybrid.times")
  local profile summary taken lost missed
  profile="$(profile_cpu "$WORK/out.speedscope.json")"
  summary="$(grep -m1 'profile: [0-9]* samples taken, ' "$WORK/stderr" || true)"
  taken="$(sed -n 's/.* \([0-9]*\) samples taken.*/\1/p' <<<"$summary")"
  lost="$(sed -n 's/.* samples taken, \([0-9]*\) lost.*/\1/p' <<<"$summary")"
  missed="$(sed -n 's/.*(\([0-9]*\) of them missed.*/\1/p' <<<"$summary")"
  awk -v real="$real" -v profile="$profile" -v taken="${taken:-0}" -v lost="${lost:-0}" -v missed="${missed:-0}" \
      -v hybrid="$hybrid" -v inner_self="$inner_self" -v profiled="$(wall_seconds "$WORK/profiled.wall")" -v bare="$(wall_seconds "$WORK/bare.wall")" \
      'BEGIN { printf "%.3f %.3f %d %d %d %.3f %.2f\n", real, profile, taken, lost, missed, hybrid - real - inner_self, profiled / bare }' \
      >>"$WORK/$threads-$rate.runs"
}

for _ in $(seq "$SPINNERS"); do
  bash -c 'while :; do :; done' &
  spinners+=($!)
done
printf '%-8s %-6s %-10s %-12s %-7s %-8s %-8s %-8s %-15s %-7s\n' threads rate "real CPU" "profile CPU" ratio taken lost missed "hybrid-run CPU" "wall ×"
for threads in $THREADS; do
  for rate in $RATES; do
    for _ in $(seq "$RUNS"); do run_once "$threads" "$rate"; done
    file="$WORK/$threads-$rate.runs"
    column() { awk -v c="$1" '{ print $c }' "$file" | median; }
    ratio="$(awk '{ printf "%.4f\n", $2 / $1 }' "$file" | median)"
    printf '%-8s %-6s %-10s %-12s %-7s %-8s %-8s %-8s %-15s %-7s\n' "$threads" "$rate" "$(column 1) s" "$(column 2) s" \
      "$ratio" "$(column 3)" "$(column 4)" "$(column 5)" "$(column 6) s" "$(column 7)"
  done
done
