#!/usr/bin/env bash
# Where ptrace stops land in a thread that makes a system call every few microseconds, by how the stop is triggered
# (issue 10, target 6: the ptrace sampler's system-call bias; Benchmarks/ptrace-skid/ptrace_skid.c says what each mode
# does). Prints a markdown table: the child's own share of time outside its busy loop (the truth) beside the share of
# stops that landed there. Needs two CPUs; kicker-fifo needs root (SCHED_FIFO).
#
#   scripts/bench-ptrace-skid.sh            (SAMPLES=300 ROUNDS=3 TRACER_CPU=0 CHILD_CPU=1)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SAMPLES="${SAMPLES:-300}" ROUNDS="${ROUNDS:-3}" TRACER_CPU="${TRACER_CPU:-0}" CHILD_CPU="${CHILD_CPU:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cc -O2 -pthread -o "$WORK/ptrace_skid" "$ROOT/Benchmarks/ptrace-skid/ptrace_skid.c"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| mode | stops | child's time outside its loop, % | stops outside its loop, % |"
echo "|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
    for mode in remote same-cpu kicker-fifo kicker-normal; do
        "$WORK/ptrace_skid" "$mode" "$SAMPLES" "$TRACER_CPU" "$CHILD_CPU"
    done
done
