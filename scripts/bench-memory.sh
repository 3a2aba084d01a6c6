#!/usr/bin/env bash
# hybrid-run's peak memory (VmHWM, read every 0.2 s until it exits) for a build of many short processes, the case
# that used to grow with every process: `make -jJOBS` of SMALL and LARGE generated C files (each `cc -O2 -c` of a
# three-function file: a driver, cc1 and as per file), with both samplers at RATE. Target (issue 10): the peak
# for LARGE files within 20 % of the peak for SMALL files, and under 100 MiB.
#
#   scripts/bench-memory.sh                               # builds hybrid-run in release first
#   HYBRID_RUN=path SMALL=200 LARGE=2000 RATE=1000 scripts/bench-memory.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMALL="${SMALL:-200}"
LARGE="${LARGE:-2000}"
RATE="${RATE:-1000}"
JOBS="${JOBS:-2}"
SAMPLERS="${SAMPLERS:-perf-event ptrace}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-memory.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"

# shellcheck source=lib/generated-c.sh
source "$ROOT/scripts/lib/generated-c.sh"

# peak LOG COMMAND...: runs COMMAND and prints its peak resident memory in MiB.
peak() {
  local log=$1 pid high=0 value
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    value=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "$value" ]] && high=$value
    sleep 0.2
  done
  wait "$pid" || { echo "$(basename "$0"): $* failed:" >&2; tail -5 "$log" >&2; exit 1; }
  awk -v kib="$high" 'BEGIN { printf "%.1f", kib / 1024 }'
}

generate "$SMALL" "$WORK/small"
generate "$LARGE" "$WORK/large"
echo "hybrid-run peak memory, make -j$JOBS of generated C files, $RATE Hz ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| sampler | $SMALL files: peak MiB | processes | samples | $LARGE files: peak MiB | processes | samples | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for sampler in $SAMPLERS; do
  row="| $sampler"
  peaks=()
  for size in small large; do
    rm -f "$WORK/$size"/*.o
    mib=$(OTEL_TRACES_EXPORTER=none peak "$WORK/$size.log" "$HYBRID_RUN" --sampler "$sampler" --rate "$RATE" \
          -o "$WORK/$size.pb.gz" -- make -s -j"$JOBS" -C "$WORK/$size")
    summary=$(grep -E 'profile: [0-9]+ samples taken' "$WORK/$size.log" | tail -1)
    samples=$(sed -E 's/.*profile: ([0-9]+) samples taken.*/\1/' <<<"$summary")
    processes=$(sed -E 's/.* ([0-9]+) processes seen.*/\1/' <<<"$summary")
    row+=" | $mib | $processes | $samples"
    peaks+=("$mib")
  done
  echo "$row | $(awk -v a="${peaks[0]}" -v b="${peaks[1]}" 'BEGIN { printf "%.2f", b / a }') |"
done
