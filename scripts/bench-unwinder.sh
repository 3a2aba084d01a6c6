#!/usr/bin/env bash
# Benchmarks hybrid-run's unwinder against libunwind on the same stacks, in one process.
#
# Copies SNAPSHOTS stops of the main thread of each 25-frame workload (Tests/Fixtures/workload.c `deep 25`,
# built -O2 without frame pointers, and SwiftWorkload.swift `deep 25`, built -O, as bench-sampler.sh builds
# them) and unwinds each copy ROUNDS times with libunwind alone and with hybrid-run's Unwinder (CFI rules,
# libunwind for what they do not cover): CPU µs per sample of each, of counting the stack as the store does,
# whether both gave the same frames, and how many stacks the rules left to libunwind. Then the same replay
# under callgrind: instructions per sample, which the machine's load does not change.
#
#   scripts/bench-unwinder.sh                 # builds unwinder-benchmark in release first
#   UNWINDER_BENCHMARK=path SNAPSHOTS=200 ROUNDS=200 CALLGRIND=1 scripts/bench-unwinder.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SNAPSHOTS="${SNAPSHOTS:-200}"
ROUNDS="${ROUNDS:-200}"
CALLGRIND="${CALLGRIND:-1}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-unwinder.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [[ -z "${UNWINDER_BENCHMARK:-}" ]]; then
  # shellcheck source=lib/release.sh
  source "$ROOT/scripts/lib/release.sh"
  cd "$ROOT"
  hybrid_release_build unwinder-benchmark
  UNWINDER_BENCHMARK="$HYBRID_RELEASE_BIN/unwinder-benchmark"
fi
clang -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -pthread -Wl,--build-id=sha1 \
  "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload"
swiftc -O "$ROOT/Tests/Fixtures/SwiftWorkload.swift" -o "$WORK/SwiftWorkload" 2>"$WORK/swiftc.log" \
  || { echo "bench-unwinder.sh: cannot build SwiftWorkload" >&2; cat "$WORK/swiftc.log" >&2; exit 1; }
workloads=("$WORK/workload deep 25 1000000000 0" "$WORK/SwiftWorkload deep 25 1000000000")

printf 'load average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| workload | snapshots | frames (mean) | libunwind µs / sample | rules µs / sample | counting µs / sample | same frames | stacks left to libunwind |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for workload in "${workloads[@]}"; do
  # shellcheck disable=SC2086  # the workload's command and arguments
  "$UNWINDER_BENCHMARK" "$SNAPSHOTS" "$ROUNDS" $workload
done

[[ "$CALLGRIND" == 1 ]] || exit 0
command -v valgrind >/dev/null || { echo "bench-unwinder.sh: valgrind is not installed (CALLGRIND=0 skips it)" >&2; exit 1; }
# valgrind 3.19 gives up on the DWARF 5 the Swift toolchain writes: a copy without it keeps the symbols.
cp "$UNWINDER_BENCHMARK" "$WORK/unwinder-benchmark"
strip --strip-debug "$WORK/unwinder-benchmark"
CG_SNAPSHOTS=50
CG_ROUNDS=20
printf '\nUnder callgrind (%s snapshots × %s rounds; instructions per sample):\n\n' "$CG_SNAPSHOTS" "$CG_ROUNDS"
printf '| workload | libunwind | rules | counting |\n|---|---|---|---|\n'
for workload in "${workloads[@]}"; do
  # shellcheck disable=SC2086
  valgrind -q --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
    "$WORK/unwinder-benchmark" "$CG_SNAPSHOTS" "$CG_ROUNDS" $workload >/dev/null
  callgrind_annotate --inclusive=yes --threshold=100 "$WORK/callgrind.out" >"$WORK/annotated"
  per_sample() {
    awk -v name="$1" -v samples=$((CG_SNAPSHOTS * CG_ROUNDS)) \
      '$0 ~ name && !found { gsub(",", "", $1); printf "%d", $1 / samples; found = 1 }' "$WORK/annotated"
  }
  printf '| %s | %s | %s | %s |\n' "${workload#"$WORK/"}" \
    "$(per_sample replayLibunwind)" "$(per_sample replayRules)" "$(per_sample replayCounting)"
done
