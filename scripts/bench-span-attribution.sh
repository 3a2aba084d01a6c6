#!/usr/bin/env bash
# Per-span attribution (OTEP 4947 thread context read by hybrid-run) and what reading the records costs, with each
# sampler: Tests/Fixtures/span_writer.c alternates span 1 (hot_first) and span 2 (hot_second) every 15 ms on its
# main thread while a second thread stays in span 3 (hot_third); for each hot function, the share of its samples
# labelled with its span's id in the pprof file hybrid-run wrote, summed over RUNS runs of SECONDS each.
# Target: >= 95 % for each. Also printed: the sampler's CPU time per sample from hybrid-run's summary, with and
# without a thread context to read (span_writer-unexported: the same program, its variable not exported), and the
# cost of one read alone (Benchmarks/thread-context-reader-benchmark, target < 2 us), and the floor under the perf-event
# reader's cost per sample: a C reader woken at every sample that does nothing else (Benchmarks/perf-wake-floor),
# which only the reader that reads from outside (not root) pays; as root, the eBPF program's run time per sample,
# paid in the sampled thread's interrupt, from the kernel's BPF statistics.
# Then off-CPU time (`--wall`): span_writer blocking waits 20 ms in nanosleep in span 1 (wait_sleeping) and 20 ms in
# a pipe read in span 2 (wait_reading), alternately; for each wait, the share of its wall time labelled with its span.
#
#   scripts/bench-span-attribution.sh                         # RUNS=3 SECONDS=4 (of CPU) RATE=250, release builds
#   HYBRID_RUN=.build/debug/hybrid-run RUNS=5 scripts/bench-span-attribution.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS:-4}"
RATE="${RATE:-250}"
PYTHON="${HYBRID_TEST_PYTHON:-$ROOT/.venv/bin/python}"
# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"
pushd "$ROOT" >/dev/null
hybrid_release_build thread-context-reader-benchmark
popd >/dev/null
READER_BENCHMARK="$HYBRID_RELEASE_BIN/thread-context-reader-benchmark"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-span-attribution.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

F="$ROOT/Tests/Fixtures"
FLAGS=(-O2 -fomit-frame-pointer -fno-optimize-sibling-calls -pthread)
clang -O2 -shared -fPIC -mtls-dialect=gnu2 -o "$WORK/libspan_context.so" "$F/span_context.c"
clang "${FLAGS[@]}" -o "$WORK/span_writer-library" "$F/span_writer.c" "$WORK/libspan_context.so" -Wl,-rpath,'$ORIGIN'
clang "${FLAGS[@]}" -mtls-dialect=gnu2 -Wl,--export-dynamic-symbol=otel_thread_ctx_v1 -o "$WORK/span_writer-executable" \
  "$F/span_writer.c" "$F/span_context.c"
clang -O2 -pthread -o "$WORK/perf_wake_floor" "$ROOT/Benchmarks/perf-wake-floor/perf_wake_floor.c"
# The same program whose variable is not exported: nothing for the reader to find, the baseline of its cost.
clang "${FLAGS[@]}" -o "$WORK/span_writer-unexported" "$F/span_writer.c" "$F/span_context.c"

export HYBRID_STANDINS_GEN="${HYBRID_STANDINS_GEN:-$("$PYTHON" -c 'import sys, os; print(os.path.join(sys.prefix, "standins-gen"))')}"
echo "span attribution, $RUNS runs of ${SECONDS_PER_RUN}s at $RATE Hz ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), $HYBRID_RUN"
# runs SAMPLER PLACEMENT MODE [--wall]: RUNS runs of span_writer MODE, then the shares (samples, or with --wall the
# wall time) of each function's stacks labelled with its span, and the sampler's CPU per sample.
runs() {
  local sampler="$1" placement="$2" mode="$3"
  shift 3
  for run in $(seq "$RUNS"); do
    OTEL_SDK_DISABLED=true "$HYBRID_RUN" "$@" --sampler "$sampler" --rate "$RATE" -o "$WORK/$sampler-$placement-$mode-$run.pb.gz" \
      -- "$WORK/span_writer-$placement" "$mode" "$SECONDS_PER_RUN" 2>"$WORK/$sampler-$placement-$mode-$run.log" >/dev/null
  done
  "$PYTHON" - "$sampler" "$placement" "$mode" "$WORK" <<'PY'
import glob, gzip, os, re, sys
sys.path.insert(0, os.environ["HYBRID_STANDINS_GEN"])
import profile_pb2
sampler, placement, mode, work = sys.argv[1:5]
if mode == "blocking":
    expected = {"wait_sleeping": "01" * 8, "wait_reading": "02" * 8}
else:
    expected = {"hot_first": "01" * 8, "hot_second": "02" * 8, "hot_third": "03" * 8}
right = {f: 0 for f in expected}; total = {f: 0 for f in expected}
cpu_us = samples = 0
for path in sorted(glob.glob(f"{work}/{sampler}-{placement}-{mode}-*.pb.gz")):
    p = profile_pb2.Profile(); p.ParseFromString(gzip.decompress(open(path, "rb").read()))
    s = p.string_table
    # Samples (counts), or the wall time in ms.
    types = [s[t.type] for t in p.sample_type]
    index, scale = (types.index("wall"), 1e-6) if mode == "blocking" else (0, 1)
    names = {f.id: s[f.name] for f in p.function}
    locs = {l.id: [names[line.function_id] for line in l.line] for l in p.location}
    for sample in p.sample:
        frames = {n for i in sample.location_id for n in locs[i]}
        labels = {s[l.key]: s[l.str] for l in sample.label if l.str}
        for f in expected:
            if f in frames:
                total[f] += sample.value[index] * scale
                right[f] += sample.value[index] * scale if labels.get("span_id") == expected[f] else 0
    log = open(path.replace(".pb.gz", ".log")).read()
    m = re.search(r"(\d+) samples taken", log); t = re.search(r"(?:reader|tracer) CPU ([\d.]+) µs per sample", log)
    if m and t:
        samples += int(m.group(1)); cpu_us += float(t.group(1)) * int(m.group(1))
unit = " ms" if mode == "blocking" else ""
shares = "  ".join(f"{f} {100 * right[f] / max(1, total[f]):5.1f}% of {total[f]:.0f}{unit}" for f in expected)
cost = f"sampler CPU {cpu_us / max(1, samples):6.1f} us/sample ({samples} samples)" if samples else "sampler CPU: not in summary"
print(f"{sampler:10s} {placement:10s} {shares}  {cost}")
PY
}
for sampler in ptrace perf-event; do
  for placement in executable library unexported; do
    runs "$sampler" "$placement" spans
  done
done
echo "off-CPU time (--wall) by span, $RUNS runs of ${SECONDS_PER_RUN}s of wall time (load $(cut -d' ' -f1 /proc/loadavg))"
for sampler in ptrace perf-event; do
  runs "$sampler" library blocking --wall
done

# The eBPF program that reads spans in the sample's interrupt (perf events, as root): its run time per sample, which
# the sampled thread pays, from the kernel's own statistics (kernel.bpf_stats_enabled, on for this run only).
if [[ "$(id -u)" == 0 ]] && STATS="$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)"; then
  sysctl -q kernel.bpf_stats_enabled=1
  OTEL_SDK_DISABLED=true "$HYBRID_RUN" --sampler perf-event --rate "$RATE" -o "$WORK/program-cost.pb.gz" \
    -- "$WORK/span_writer-library" spans "$SECONDS_PER_RUN" 2>/dev/null >/dev/null &
  PROFILED=$!
  PROGRAM=""
  # The program is loaded once the reader has read the writer's modules: looked for until the run ends.
  while kill -0 "$PROFILED" 2>/dev/null; do
    for fd in /proc/$PROFILED/fd/*; do
      [[ "$(readlink "$fd" 2>/dev/null)" == "anon_inode:bpf-prog" ]] && PROGRAM="/proc/$PROFILED/fdinfo/${fd##*/}"
    done
    [[ -n "$PROGRAM" ]] && COUNTS="$(grep -E '^run_(time_ns|cnt)' "$PROGRAM" 2>/dev/null | awk '{print $2}' | xargs)" && [[ -n "$COUNTS" ]] && LAST="$COUNTS"
    sleep 0.2
  done
  wait "$PROFILED" || true
  sysctl -q kernel.bpf_stats_enabled="$STATS"
  if [[ -n "${LAST:-}" ]]; then
    read -r NANOSECONDS RUNS_COUNTED <<<"$LAST"
    echo "eBPF span reader, in the sampled thread's interrupt: $(awk -v n="$NANOSECONDS" -v c="$RUNS_COUNTED" 'BEGIN { printf "%.2f", n / c / 1000 }') us per sample ($RUNS_COUNTED samples, perf-event at $RATE Hz)"
  else
    echo "eBPF span reader: not loaded (no BTF, or refused): spans read from outside"
  fi
fi

"$WORK/span_writer-library" spans 60 &
WRITER=$!
trap 'kill "$WRITER" 2>/dev/null; rm -rf "$WORK"' EXIT
until [[ "$(ls "/proc/$WRITER/task" 2>/dev/null | wc -l)" -ge 2 ]]; do sleep 0.05; done
SECOND="$(ls "/proc/$WRITER/task" | grep -vx "$WRITER" | head -1)"
# The second thread publishes its span right after it starts: retried until it has.
until RESULT="$("$READER_BENCHMARK" "$WRITER" "$SECOND" 200000 5 2>/dev/null)"; do sleep 0.05; done
echo "one read of a thread's span (TLSDESC library, thread running): $RESULT"
echo "$("$WORK/perf_wake_floor" "$RATE" "$SECONDS_PER_RUN") (load $(cut -d' ' -f1 /proc/loadavg))"
