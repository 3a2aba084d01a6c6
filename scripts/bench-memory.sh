#!/usr/bin/env bash
# hybrid-run's memory in the three cases that used to grow (issue 10 target 4, issue 11's memory target):
#
#   scripts/bench-memory.sh [build]           # peak (VmHWM) for `make -jJOBS` of SMALL and LARGE generated C files
#                                             # (each `cc -O2 -c` of a three-function file: a driver, cc1 and as per
#                                             # file), both samplers. Target: LARGE within 20 % of SMALL, < 100 MiB.
#                                             # Also the sampler's CPU per sample (its summary) and the seconds
#                                             # hybrid-run takes to exit after make has (the end: symbolizing, writing)
#   scripts/bench-memory.sh long [MINUTES]    # resident memory (VmRSS) every INTERVAL seconds of a MINUTES-long
#                                             # (default 30) run of `workload deep 25 … 4` (4 busy threads),
#                                             # without and with --wall (WALLS). Target: RSS at the end within 10 %
#                                             # of RSS at 2 minutes, < 100 MiB
#   scripts/bench-memory.sh idle [SECONDS]    # peak of a SECONDS-long (default 60) run with --wall of `workload idle
#                                             # THREADS` (default 1,000 threads blocked in poll, each waking once a
#                                             # second), both samplers. Target: < 100 MiB
#
# Environment: HYBRID_RUN=path (else a release build), RATE (1000), SAMPLERS ("perf-event ptrace"), SMALL (200),
# LARGE (2000), JOBS (2), INTERVAL (30), WALLS ("off on"), THREADS (1000).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:-build}"
SMALL="${SMALL:-200}"
LARGE="${LARGE:-2000}"
RATE="${RATE:-1000}"
JOBS="${JOBS:-2}"
INTERVAL="${INTERVAL:-30}"
WALLS="${WALLS:-off on}"
THREADS="${THREADS:-1000}"
SAMPLERS="${SAMPLERS:-perf-event ptrace}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-memory.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"

# shellcheck source=lib/generated-c.sh
source "$ROOT/scripts/lib/generated-c.sh"

# watch EVERY TRACE LOG COMMAND...: runs COMMAND (output to LOG) and appends "seconds VmRSS VmHWM" (KiB) to TRACE
# every EVERY seconds while it runs. A command killed by `timeout` (124) has run its course.
watch() {
  local every=$1 trace=$2 log=$3 pid start status=0 rss hwm
  shift 3
  "$@" >"$log" 2>&1 &
  pid=$!
  start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    read -r rss hwm < <(awk '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {print r, h}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "${hwm:-}" ]] && echo "$((SECONDS - start)) $rss $hwm" >>"$trace"
    sleep "$every"
  done
  wait "$pid" || status=$?
  ((status == 0 || status == 124)) || { echo "$(basename "$0"): $* failed:" >&2; tail -5 "$log" >&2; exit 1; }
}

# mib KIB: KiB as MiB with one decimal.
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }

# peak TRACE: the highest VmHWM of a trace, in MiB.
peak() { mib "$(awk '$3 > h {h = $3} END {print h + 0}' "$1")"; }

# cost LOG: the reader's or tracer's CPU per sample (µs) from hybrid-run's summary.
cost() { grep -oE '(reader|tracer) CPU [0-9.]+ µs per sample' "$1" | grep -oE '[0-9.]+' | head -1 || echo -; }

# ending MARKER LOG: seconds from the time in MARKER (the command's end, ns) to LOG's last write (hybrid-run's exit).
ending() { awk -v from="$(cat "$1")" -v to="$(stat -c %.9Y "$2")" 'BEGIN { printf "%.2f", to - from / 1e9 }'; }

# summary LOG: "samples | lost | processes" from hybrid-run's summary line.
summary() {
  local line
  line=$(grep -E 'profile: [0-9]+ samples taken' "$1" | tail -1)
  echo "$(sed -E 's/.*profile: ([0-9]+) samples taken.*/\1/' <<<"$line") | $(sed -nE 's/.* ([0-9]+) lost.*/\1/p' <<<"$line" | grep . || echo 0) | $(sed -E 's/.* ([0-9]+) processes seen.*/\1/' <<<"$line")"
}

workload() {
  clang -O2 -fomit-frame-pointer -pthread "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload"
}

build() {
  generate "$SMALL" "$WORK/small"
  generate "$LARGE" "$WORK/large"
  echo "hybrid-run peak memory, make -j$JOBS of generated C files, $RATE Hz ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
  echo
  echo "| sampler | $SMALL files: peak MiB | samples | lost | processes | µs/sample | end s | $LARGE files: peak MiB | samples | lost | processes | µs/sample | end s | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  local sampler size row peaks
  for sampler in $SAMPLERS; do
    row="| $sampler"
    peaks=()
    for size in small large; do
      rm -f "$WORK/$size"/*.o "$WORK/$size.trace"
      OTEL_TRACES_EXPORTER=none watch 0.2 "$WORK/$size.trace" "$WORK/$size.log" "$HYBRID_RUN" --sampler "$sampler" \
        --rate "$RATE" -o "$WORK/$size.pb.gz" -- sh -c 'make -s -j"$1" -C "$2"; status=$?; date +%s%N >"$2.end"; exit $status' \
        sh "$JOBS" "$WORK/$size"
      peaks+=("$(peak "$WORK/$size.trace")")
      row+=" | ${peaks[-1]} | $(summary "$WORK/$size.log") | $(cost "$WORK/$size.log") | $(ending "$WORK/$size.end" "$WORK/$size.log")"
    done
    echo "$row | $(awk -v a="${peaks[0]}" -v b="${peaks[1]}" 'BEGIN { printf "%.2f", b / a }') |"
  done
}

long() {
  local minutes=${1:-30} wall flag trace at2 last
  workload
  echo "hybrid-run resident memory, $minutes min of workload deep 25 … 4 at $RATE Hz, sampled every $INTERVAL s ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
  for wall in $WALLS; do
    flag=()
    [[ $wall == on ]] && flag=(--wall)
    trace="$WORK/long-$wall.trace"
    OTEL_TRACES_EXPORTER=none watch "$INTERVAL" "$trace" "$WORK/long-$wall.log" "$HYBRID_RUN" "${flag[@]}" --rate "$RATE" \
      -o "$WORK/long-$wall.pb.gz" -- timeout "$((minutes * 60))" "$WORK/workload" deep 25 1000000000000 4
    echo
    echo "--wall $wall: $(summary "$WORK/long-$wall.log") (samples | lost | processes)"
    echo
    echo "| minute | VmRSS MiB | VmHWM MiB |"
    echo "|---|---|---|"
    awk '{ printf "| %.1f | %.1f | %.1f |\n", $1 / 60, $2 / 1024, $3 / 1024 }' "$trace"
    at2=$(awk '$1 >= 120 {print $2; exit}' "$trace")
    last=$(tail -1 "$trace" | cut -d' ' -f2)
    [[ -n "$at2" ]] && echo && echo "RSS at 2 min $(mib "$at2") MiB, at the end $(mib "$last") MiB: ratio $(awk -v a="$at2" -v b="$last" 'BEGIN { printf "%.3f", b / a }')"
  done
}

idle() {
  local seconds=${1:-60} sampler
  workload
  echo "hybrid-run peak memory, --wall, $seconds s of workload idle $THREADS at $RATE Hz ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
  echo
  echo "| sampler | peak MiB | VmRSS at the end MiB | samples | lost | processes |"
  echo "|---|---|---|---|---|---|"
  for sampler in $SAMPLERS; do
    OTEL_TRACES_EXPORTER=none watch 1 "$WORK/idle-$sampler.trace" "$WORK/idle-$sampler.log" "$HYBRID_RUN" --wall \
      --sampler "$sampler" --rate "$RATE" -o "$WORK/idle-$sampler.pb.gz" -- "$WORK/workload" idle "$THREADS" "$seconds"
    echo "| $sampler | $(peak "$WORK/idle-$sampler.trace") | $(mib "$(tail -1 "$WORK/idle-$sampler.trace" | cut -d' ' -f2)") | $(summary "$WORK/idle-$sampler.log") |"
  done
}

case "$MODE" in
  build) build ;;
  long) long "${2:-30}" ;;
  idle) idle "${2:-60}" ;;
  *) echo "$(basename "$0"): unknown mode '$MODE'; use build, long [MINUTES] or idle [SECONDS]" >&2; exit 2 ;;
esac
