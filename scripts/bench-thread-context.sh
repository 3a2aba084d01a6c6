#!/usr/bin/env bash
# What publishing the active span as OpenTelemetry thread context (OTEP 4947) costs the workloads' threads per span
# start and end: the C publication of Sources/_COTelContextShims (fill the level's preallocated record, swap the
# exported TLS pointer between compiler fences; restore the parent's on end), built -O2 with the TLSDESC dialect as
# Package.swift builds it, linked into a PIE executable like the workloads, timed in thread CPU time over COUNT spans, best of ROUNDS.
# Target: < 50 ns per start or end. Then the whole cost in Swift (Benchmarks/span-publication-benchmark, release):
# the same spans through swift-otel's tracer alone and through ThreadContextTracer, which also reads each span's ids
# from swift-otel (its logging metadata provider: swift-otel has no public accessor for a span's ids).
#
#   scripts/bench-thread-context.sh                  # COUNT=5000000 ROUNDS=5 SPANS=200000
#   COUNT=20000000 ROUNDS=9 scripts/bench-thread-context.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COUNT="${COUNT:-5000000}"
ROUNDS="${ROUNDS:-5}"
SPANS="${SPANS:-200000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-thread-context.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

SHIMS="$ROOT/Sources/_COTelContextShims"
clang -O2 -fPIC -mtls-dialect=gnu2 -I "$SHIMS/include" -c "$SHIMS/ThreadContextShims.c" -o "$WORK/shims.o"
clang -O2 -fPIE -pie -I "$SHIMS/include" "$ROOT/Benchmarks/thread-context-benchmark/main.c" "$WORK/shims.o" \
  -Wl,--export-dynamic-symbol=otel_thread_ctx_v1 -o "$WORK/thread-context-benchmark"
echo "thread context publication, thread CPU time, $COUNT spans per round, best of $ROUNDS rounds ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
"$WORK/thread-context-benchmark" "$COUNT" "$ROUNDS"

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
cd "$ROOT"
hybrid_release_build span-publication-benchmark
echo
echo "swift-otel spans with and without ThreadContextTracer, thread CPU time, $SPANS spans per round, best of $ROUNDS rounds"
"$HYBRID_RELEASE_BIN/span-publication-benchmark" "$SPANS" "$ROUNDS"
