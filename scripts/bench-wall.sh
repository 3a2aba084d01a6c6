#!/usr/bin/env bash
# Benchmarks `--wall` (issue 11): exactness on the wall_phases fixture and cost beside the same runs without it.
#
# Exactness: Tests/Fixtures/wall_phases.c (a worker alternating 20 ms of CPU, nanosleep, a pipe read and a mutex
# wait; an idle thread in poll for the whole run) under each sampler, as root and as nobody (setpriv; unprivileged
# with perf_event_paranoid 2), RUNS times each. Each phase's share of the worker's wall time in the profile (go tool
# pprof -sample_index=wall, cumulative) is compared with the share the fixture itself measured (CLOCK_MONOTONIC around
# each phase: the machine's load stretches phases, so the nominal 25 % is not the truth); the idle thread's wall
# time with its measured poll. The issue's targets: every phase within 3 points, the idle thread within 2 %.
#
# Cost: the child's own elapsed time (self-timed) with and without --wall, interleaved pairs, median ratio: a
# CPU-bound child (workload.c deep) at 100 Hz, and pingpong (two threads bouncing a byte over pipes, WORK_US of CPU
# between round trips) with hybrid-run's own CPU per context-switch record ((reader CPU with --wall - without) /
# switch records).
#
#   scripts/bench-wall.sh                    # builds hybrid-run in release first
#   HYBRID_RUN=path/to/hybrid-run RUNS=5 PAIRS=10 SECONDS_PER_RUN=4 scripts/bench-wall.sh
#   HYBRID_RUN=… RUNS=0 COST_SAMPLERS=perf-event scripts/bench-wall.sh   # the perf-event cost rows alone
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
PAIRS="${PAIRS:-5}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-4}"
ITERATIONS="${ITERATIONS:-30000}"
ROUNDS="${ROUNDS:-30000}"
WORK_US="${WORK_US:-25}"
COST_SAMPLERS="${COST_SAMPLERS:-perf-event ptrace}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-wall.XXXXXX")"
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"
gcc -O2 -g -pthread -o "$WORK/wall_phases" "$ROOT/Tests/Fixtures/wall_phases.c"
gcc -O2 -pthread -o "$WORK/pingpong" "$ROOT/Tests/Fixtures/pingpong.c"
clang -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -pthread "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload"
export OTEL_SDK_DISABLED=true

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One exactness run: prints "maxΔ(points) idleΔ(%) profile-shares fixture-shares".
exactness() {
  local sampler=$1 prefix=$2 out="$WORK/out-$RANDOM"
  mkdir -p "$out" && chmod 777 "$out"
  # shellcheck disable=SC2086
  $prefix "$HYBRID_RUN" --wall --sampler "$sampler" -q -o "$out/w.pb.gz" -- "$WORK/wall_phases" "$SECONDS_PER_RUN" 2>"$out/stderr"
  go tool pprof -sample_index=wall -top -cum -unit=ms -nodecount=10000 -nodefraction=0 "$out/w.pb.gz" 2>/dev/null >"$out/top"
  awk -v fixture="$(grep '^wall_phases:' "$out/stderr")" '
    BEGIN {
      n = split(fixture, pairs, " ")
      for (i = 1; i <= n; i++) if (split(pairs[i], kv, "=") == 2) f[kv[1]] = kv[2]
    }
    NF == 6 && $4 ~ /ms$/ { v = $4; sub(/ms$/, "", v); p[$6] = v }
    END {
      split("compute sleep read lock", names, " ")
      for (i = 1; i <= 4; i++) { pt += p[names[i] "_phase"]; ft += f[names[i]] }
      worst = 0
      for (i = 1; i <= 4; i++) {
        ps = 100 * p[names[i] "_phase"] / pt; fs = 100 * f[names[i]] / ft
        d = ps > fs ? ps - fs : fs - ps; if (d > worst) worst = d
        profile = profile sprintf("%s%.1f", i > 1 ? "/" : "", ps); measured = measured sprintf("%s%.1f", i > 1 ? "/" : "", fs)
      }
      idle = f["idle_poll"] / 1e6
      di = 100 * (p["idle_wait"] - idle) / idle; if (di < 0) di = -di
      printf "%.1f %.2f %s %s\n", worst, di, profile, measured
    }' "$out/top"
}

printf 'load average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| sampler | user | run | worst phase Δ (points) | idle Δ | profile shares c/s/r/l %% | fixture shares %% |\n|---|---|---|---|---|---|---|\n'
for sampler in perf-event ptrace; do
  for user in root nobody; do
    prefix=""
    [[ $user == nobody ]] && prefix="setpriv --reuid=65534 --regid=65534 --clear-groups"
    for run in $(seq "$RUNS"); do
      read -r worst idle profile measured < <(exactness "$sampler" "$prefix")
      printf '| %s | %s | %s | %s | %s %% | %s | %s |\n' "$sampler" "$user" "$run" "$worst" "$idle" "$profile" "$measured"
    done
  done
done

# "profile: N samples taken…" and "reader CPU X µs per sample" → total reader CPU in ms; "N switch records".
reader_ms() { awk '/samples taken/ { for (i = 1; i < NF; i++) if ($(i + 1) == "samples") n = $i } /CPU [0-9.]+ µs per sample/ { for (i = 1; i <= NF; i++) if ($i == "µs") c = $(i - 1) } END { printf "%.3f\n", n * c / 1000 }' "$1"; }
switch_records() { sed -n 's/.* \([0-9]*\) switch records.*/\1/p' "$1"; }

# PAIRS interleaved runs of NAME: COMMAND… without and with --wall, each self-timed.
cost() {
  local name=$1 sampler=$2
  shift 2
  for _ in $(seq "$PAIRS"); do
    "$HYBRID_RUN" --sampler "$sampler" -o "$WORK/c.folded" -- "$@" 2>"$WORK/off.err" >>"$WORK/$sampler-$name-off.time"
    reader_ms "$WORK/off.err" >>"$WORK/$sampler-$name-off.reader"
    "$HYBRID_RUN" --wall --sampler "$sampler" -o "$WORK/c.folded" -- "$@" 2>"$WORK/on.err" >>"$WORK/$sampler-$name-on.time"
    reader_ms "$WORK/on.err" >>"$WORK/$sampler-$name-on.reader"
    switch_records "$WORK/on.err" >>"$WORK/$sampler-$name.switches"
  done
  local off on slowdown readeroff readeron switches perswitch
  off=$(median <"$WORK/$sampler-$name-off.time"); on=$(median <"$WORK/$sampler-$name-on.time")
  slowdown=$(paste -d' ' "$WORK/$sampler-$name-off.time" "$WORK/$sampler-$name-on.time" | awk '{ printf "%.6f\n", ($2 / $1 - 1) * 100 }' | median)
  readeroff=$(median <"$WORK/$sampler-$name-off.reader"); readeron=$(median <"$WORK/$sampler-$name-on.reader")
  switches=$(median <"$WORK/$sampler-$name.switches")
  perswitch=$(awk -v a="$readeron" -v b="$readeroff" -v s="$switches" 'BEGIN { if (s > 0) printf "%.2f", (a - b) * 1000 / s; else print "—" }')
  printf '| %s | %s | %.3f | %.3f | %+.1f%% | %s | %s | %s | %s | %s |\n' "$name" "$sampler" "$off" "$on" "$slowdown" "$readeroff" "$readeron" "$switches" "$perswitch" "$(cut -d' ' -f1 /proc/loadavg)"
}

printf '\n| child | sampler | child time without (s) | with --wall (s) | slowdown (median of pairs) | hybrid-run CPU without (ms) | with (ms) | switch records | hybrid-run µs per switch record | load (1 min) after |\n|---|---|---|---|---|---|---|---|---|---|\n'
for sampler in $COST_SAMPLERS; do
  cost "cpu-bound (deep, 1 thread, 100 Hz)" "$sampler" "$WORK/workload" deep 25 "$ITERATIONS" 1
  cost "pingpong ($ROUNDS round trips, ${WORK_US} µs work)" "$sampler" "$WORK/pingpong" "$ROUNDS" "$WORK_US"
done
