#!/usr/bin/env bash
# Frames per stack of a static program linked without `.eh_frame_hdr`, as hybrid-run and perf unwind it.
#
# Tests/Fixtures/workload.c is built `gcc -O2 -static -fomit-frame-pointer` (Debian's gcc passes no
# --eh-frame-hdr for -static, so the program has `.eh_frame` but no table to search it by) and run as
# `workload deep 25 ITERATIONS 0` (a loop under main and 25 recursive frames) once under
# `hybrid-run --rate RATE -o x.folded` and once under `perf record -F RATE --call-graph dwarf`. Prints, for
# each, the samples, the mean frames per stack and the share of stacks that reach main.
#
#   scripts/bench-static-unwind.sh           # builds hybrid-run in release first
#   HYBRID_RUN=path RATE=1000 ITERATIONS=20000 scripts/bench-static-unwind.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE="${RATE:-1000}"
ITERATIONS="${ITERATIONS:-20000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-static-unwind.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"
hybrid_run_or_release_build "$ROOT"
gcc -O2 -static -fomit-frame-pointer -fno-optimize-sibling-calls -pthread \
  "$ROOT/Tests/Fixtures/workload.c" -o "$WORK/workload-static"
if readelf -lW "$WORK/workload-static" | grep -q GNU_EH_FRAME; then
  echo "bench-static-unwind.sh: this gcc wrote .eh_frame_hdr for a -static program; nothing to measure" >&2
  exit 1
fi
command=("$WORK/workload-static" deep 25 "$ITERATIONS" 0)

printf '| unwinder | samples | frames per stack (mean) | stacks reaching main |\n|---|---|---|---|\n'

OTEL_SDK_DISABLED=true "$HYBRID_RUN" --rate "$RATE" -o "$WORK/hybrid.folded" -- "${command[@]}" >/dev/null 2>"$WORK/hybrid.log" \
  || { echo "bench-static-unwind.sh: hybrid-run failed" >&2; cat "$WORK/hybrid.log" >&2; exit 1; }
# `program;outermost;…;leaf COUNT`: the program's name is a root hybrid-run adds, not a frame.
awk '{ count = $NF; line = $0; sub(/ [0-9]+$/, "", line); frames = split(line, names, ";") - 1
       samples += count; total += frames * count; if (line ~ /;main;/) reaching += count }
     END { printf "| hybrid-run | %d | %.1f | %.0f %% |\n", samples, total / samples, 100 * reaching / samples }' \
  "$WORK/hybrid.folded"

if ! command -v perf >/dev/null; then
  echo "| perf | (not installed) | | |"
  exit 0
fi
perf record -q -F "$RATE" --call-graph dwarf -o "$WORK/perf.data" -- "${command[@]}" >/dev/null 2>"$WORK/perf.log" \
  || { echo "bench-static-unwind.sh: perf record failed" >&2; cat "$WORK/perf.log" >&2; exit 1; }
# perf script: a header line per sample, then one indented line per frame, then a blank line.
perf script -i "$WORK/perf.data" -F comm,ip,sym 2>/dev/null \
  | awk '/^[^ \t]/ { samples++; in_sample = 1; next }
         /^$/ { in_sample = 0; next }
         in_sample { frames++; if ($2 == "main") reached[samples] = 1 }
         END { for (s in reached) reaching++
               printf "| perf --call-graph dwarf | %d | %.1f | %.0f %% |\n", samples, frames / samples, 100 * reaching / samples }'
