#!/usr/bin/env bash
# Start-up cost of the launcher: `hybrid-run -- true` against `true`, side by side in one run (hyperfine),
# with telemetry off, with exporting to a collector that is down, and with an incoming TRACEPARENT.
# Prints a table; the ratios are what to compare across machines.
#
#   scripts/bench-launcher.sh [runs]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-200}"
"$ROOT/scripts/setup.sh"
command -v hyperfine >/dev/null || { apt-get install -y -q hyperfine >/dev/null; }
swift build -c release --product hybrid-run >/dev/null
BIN="$(swift build -c release --show-bin-path)/hybrid-run"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$WORK/off.json" \
  -n bare 'true' \
  -n 'hybrid-run (OTEL_SDK_DISABLED=true)' "env OTEL_SDK_DISABLED=true $BIN -- true" \
  -n 'env (reference wrapper)' 'env OTEL_SDK_DISABLED=true true' >/dev/null

python3 - "$WORK/off.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = {r["command"]: r for r in results}
bare = results[0]["median"]
env = results[2]["median"]
print(f"{'command':40} {'median ms':>10} {'p95 ms':>8} {'added vs bare ms':>17}")
for r in results:
    times = sorted(r["times"])
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{r['command']:40} {r['median']*1e3:10.2f} {p95*1e3:8.2f} {(r['median']-bare)*1e3:17.2f}")
print(f"\nhybrid-run adds {(results[1]['median']-env)*1e3:.2f} ms over `env` (the start of any wrapper process); target ≤ 20 ms over `true`.")
PY
