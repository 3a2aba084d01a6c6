#!/usr/bin/env bash
# Benchmarks hybrid-run's sampler against running bare and against `perf record --call-graph dwarf`.
#
# Workloads: Tests/Fixtures/workload.c built -O2 without frame pointers, whose `deep` is a self-timed
# CPU-bound loop under a 25-frame stack (1 and 4 threads, the same total work) and whose `split` spends 3/4
# of its time in one function and 1/4 in another; Tests/Fixtures/SwiftWorkload.swift built -O, whose `deep`
# is the same kind of loop in Swift (1 thread). For each thread count and rate (100 Hz, 1000 Hz) it prints the
# child's own time (median of RUNS), its slowdown (median over the rounds of each run against the same round's
# bare run), hybrid-run's CPU per sample (reader or tracer thread) and the time each thread was stopped per
# sample (p50/p99, from hybrid-run's summary), for each of hybrid-run's samplers (perf-event, ptrace) and for
# perf; then the share of samples in hot_three_quarters as each measured it.
#
#   scripts/bench-sampler.sh                 # builds hybrid-run in release first
#   HYBRID_RUN=path/to/hybrid-run RUNS=5 ITERATIONS=300000 SWIFT_ITERATIONS=260000 SAMPLERS="perf-event ptrace" scripts/bench-sampler.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
ITERATIONS="${ITERATIONS:-300000}"
SWIFT_ITERATIONS="${SWIFT_ITERATIONS:-260000}"
SAMPLERS="${SAMPLERS:-perf-event ptrace}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-sampler.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"
command -v perf >/dev/null || { echo "bench-sampler.sh: perf is not installed (linux-perf)" >&2; exit 1; }
clang -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -pthread -Wl,--build-id=sha1 \
  "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload"
swiftc -O "$ROOT/Tests/Fixtures/SwiftWorkload.swift" -o "$WORK/SwiftWorkload" 2>"$WORK/swiftc.log" \
  || { echo "bench-sampler.sh: cannot build SwiftWorkload" >&2; cat "$WORK/swiftc.log" >&2; exit 1; }
export OTEL_SDK_DISABLED=true

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Median over the rounds of each run's time against the same round's bare run, in percent: the machine's
# load drifts between rounds (other tenants), and pairing runs of one round cancels most of that.
slowdown() { paste -d' ' "$WORK/$1-bare.time" "$2" | awk '{ printf "%.6f\n", ($2 / $1 - 1) * 100 }' | median; }

# Each runs a self-timed command (the rest of the arguments) and prints its seconds; hybrid-run's summary
# goes to $WORK/stderr.
run_bare() { "$@"; }
run_hybrid() {
  local sampler=$1 rate=$2
  shift 2
  "$HYBRID_RUN" --sampler "$sampler" --rate "$rate" -o "$WORK/out.folded" -- "$@" 2>"$WORK/stderr"
}
run_perf() { local rate=$1; shift; perf record -q -F "$rate" --call-graph dwarf -o "$WORK/perf.data" -- "$@" 2>/dev/null; }

# "threads stopped A µs per sample (p50), B µs (p99); tracer CPU C µs per sample" → "A B C";
# "no thread stopped (…); reader CPU C µs per sample" → "0 0 C".
summary_numbers() {
  sed -n -e 's/.*threads stopped \([0-9.]*\) µs per sample (p50), \([0-9.]*\) µs (p99); tracer CPU \([0-9.]*\) µs.*/\1 \2 \3/p' \
    -e 's/.*no thread stopped.*reader CPU \([0-9.]*\) µs.*/0 0 \1/p' "$WORK/stderr"
}

# One configuration: appends the command's time to $WORK/NAME.time (and hybrid-run's numbers to $WORK/NAME.numbers).
measure() {
  local name=$1 tool=$2 rate=$3
  shift 3
  case "$tool" in
    bare) run_bare "$@" >>"$WORK/$name.time" ;;
    hybrid-*) run_hybrid "${tool#hybrid-}" "$rate" "$@" >>"$WORK/$name.time"; summary_numbers >>"$WORK/$name.numbers" ;;
    perf) run_perf "$rate" "$@" >>"$WORK/$name.time" ;;
  esac
}

# One table block: LABEL THREADS COMMAND…, every configuration RUNS times, interleaved so that a change in
# the machine's load hits every configuration alike.
compare() {
  local label=$1 threads=$2
  local key="$label-$threads"
  shift 2
  for _ in $(seq "$RUNS"); do
    measure "$key-bare" bare - "$@"
    for rate in 100 1000; do
      for sampler in $SAMPLERS; do measure "$key-$sampler-$rate" "hybrid-$sampler" "$rate" "$@"; done
      measure "$key-perf-$rate" perf "$rate" "$@"
    done
  done
  local bare hybrid perf_time numbers stopped
  bare=$(median <"$WORK/$key-bare.time")
  printf '| %s | %s | — | bare | %.3f | — | — | — |\n' "$label" "$threads" "$bare"
  for rate in 100 1000; do
    for sampler in $SAMPLERS; do
      hybrid=$(median <"$WORK/$key-$sampler-$rate.time")
      numbers="$WORK/$key-$sampler-$rate.numbers"
      stopped="$(cut -d' ' -f1 "$numbers" | median) / $(cut -d' ' -f2 "$numbers" | median)"
      [[ "$stopped" == "0 / 0" ]] && stopped="(not stopped)"
      printf '| %s | %s | %s Hz | hybrid-run --sampler %s | %.3f | %+.1f%% | %s | %s |\n' "$label" "$threads" "$rate" \
        "$sampler" "$hybrid" "$(slowdown "$key" "$WORK/$key-$sampler-$rate.time")" "$(cut -d' ' -f3 "$numbers" | median)" "$stopped"
    done
    perf_time=$(median <"$WORK/$key-perf-$rate.time")
    printf '| %s | %s | %s Hz | perf --call-graph dwarf | %.3f | %+.1f%% | (in kernel) | (not stopped) |\n' "$label" \
      "$threads" "$rate" "$perf_time" "$(slowdown "$key" "$WORK/$key-perf-$rate.time")"
  done
}

printf 'load average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| workload | threads | rate | run | child time (s) | slowdown | profiler CPU / sample (µs) | stopped / thread / sample p50 / p99 (µs) |\n'
printf '|---|---|---|---|---|---|---|---|\n'
compare C 1 "$WORK/workload" deep 25 "$ITERATIONS" 1
compare C 4 "$WORK/workload" deep 25 $((ITERATIONS / 4)) 4
compare Swift 1 "$WORK/SwiftWorkload" deep 25 "$SWIFT_ITERATIONS"

# Share of samples under hot_three_quarters_until (by construction 75%) on `workload periodic 4000 3`: rounds of
# exactly 4 ms of CPU time, which a fixed sampling period of 4 ms (250 Hz) or 10 ms (100 Hz: every other phase
# half a round apart) aliases with. perf samples task-clock at a fixed period; hybrid-run's perf events draw theirs
# at random (PeriodJitter), its ptrace sampler jitters each period by ±10 %.
printf '\n| rate | hot_three_quarters_until share: %s | perf -F |\n|---|%s---|\n' \
  "$(for sampler in $SAMPLERS; do printf 'hybrid-run --sampler %s | ' "$sampler"; done | sed 's/ | $//')" \
  "$(for _ in $SAMPLERS; do printf -- '---|'; done)"
perf_share() {
  perf record -q "$@" --call-graph dwarf -o "$WORK/perf.data" -- "$WORK/workload" periodic 4000 3 2>/dev/null
  perf report -i "$WORK/perf.data" --stdio --children --sort sym 2>/dev/null \
    | awk '/\[\.\] hot_three_quarters_until$/ && !found { print $1; found = 1 }'
}
for rate in 100 250 1000; do
  ours=""
  for sampler in $SAMPLERS; do
    "$HYBRID_RUN" --sampler "$sampler" --rate "$rate" -o "$WORK/periodic.folded" -- "$WORK/workload" periodic 4000 3 2>/dev/null
    ours+=$(awk '{ n = $NF; total += n; if ($0 ~ /hot_three_quarters_until/) hot += n } END { printf "%.1f%%", 100 * hot / total }' "$WORK/periodic.folded")
    ours+=" | "
  done
  ours=${ours% | }
  printf '| %s Hz | %s | %s |\n' "$rate" "$ours" "$(perf_share -e task-clock -F "$rate")"
done
