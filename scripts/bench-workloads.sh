#!/usr/bin/env bash
# Throughput of the workloads against their baselines, side by side in one run, release builds, telemetry off:
#   generator-otel (hand-written byte writer) vs the same records through Foundation's JSONEncoder
#   loader-otel (COPY from JSON) vs `psql \copy` of the same rows as CSV into the same (emptied) table,
#   with loader-otel's peak RSS at two file sizes (it must not grow with the file).
# Starts its own throwaway PostgreSQL (scripts/lib/postgres.sh) and removes it afterwards. Prints a table.
#
#   scripts/bench-workloads.sh [COUNT]      COUNT records (default 1000000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COUNT="${1:-1000000}"
SMALL=$((COUNT / 10))
# shellcheck source=lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
# shellcheck source=lib/release.sh
source "$ROOT/scripts/lib/release.sh"

"$ROOT/scripts/setup.sh"
hybrid_release_build generator-otel loader-otel
BIN="$HYBRID_RELEASE_BIN"
WORK="$(mktemp -d)"
chmod 0755 "$WORK"
cleanup() { hybrid_pg_stop || true; rm -rf "$WORK"; }
trap cleanup EXIT
hybrid_pg_start
export OTEL_SDK_DISABLED=true

# timed NAME COMMAND...: runs COMMAND, appends "NAME seconds peak_rss_kib" to $WORK/times.
timed() {
  local name="$1"
  shift
  /usr/bin/time -f "$name %e %M" -a -o "$WORK/times" "$@" >/dev/null 2>"$WORK/last.err" \
    || { echo "bench-workloads.sh: $name failed:" >&2; cat "$WORK/last.err" >&2; exit 1; }
}
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$HYBRID_PG_URL" -c "$1" >/dev/null; }

# Generator: each writer twice, alternating; the faster run of each counts.
for round in 1 2; do
  timed "generator-bytes" "$BIN/generator-otel" "$COUNT" "$WORK/orders.jsonl"
  timed "generator-foundation" "$BIN/generator-otel" "$COUNT" "$WORK/foundation.jsonl" --encoder foundation
done
GEN_BYTES=$(stat -c %s "$WORK/orders.jsonl")
FOUNDATION_BYTES=$(stat -c %s "$WORK/foundation.jsonl")
rm -f "$WORK/foundation.jsonl"
"$BIN/generator-otel" "$SMALL" "$WORK/small.jsonl" 2>/dev/null

# Loader: the first load creates the table; its rows, exported as CSV, are psql's input. Then each side
# loads into the emptied table twice, alternating; the faster run of each counts.
"$BIN/loader-otel" "$HYBRID_PG_URL" "$WORK/orders.jsonl" --table bench_orders 2>/dev/null
sql "\\copy bench_orders TO '$WORK/orders.csv' (FORMAT csv)"
for round in 1 2; do
  sql "TRUNCATE bench_orders"
  timed "psql-copy-csv" psql -X -q -v ON_ERROR_STOP=1 -d "$HYBRID_PG_URL" -c "\\copy bench_orders FROM '$WORK/orders.csv' (FORMAT csv)"
  sql "TRUNCATE bench_orders"
  timed "loader" "$BIN/loader-otel" "$HYBRID_PG_URL" "$WORK/orders.jsonl" --table bench_orders
done
timed "loader-reload" "$BIN/loader-otel" "$HYBRID_PG_URL" "$WORK/orders.jsonl" --table bench_orders
sql "TRUNCATE bench_orders"
timed "loader-small" "$BIN/loader-otel" "$HYBRID_PG_URL" "$WORK/small.jsonl" --table bench_orders
ROWS=$(psql -X -A -t -d "$HYBRID_PG_URL" -c "SELECT count(*) FROM bench_orders")
[[ "$ROWS" == "$SMALL" ]] || { echo "bench-workloads.sh: expected $SMALL rows, found $ROWS" >&2; exit 1; }

python3 - "$WORK/times" "$COUNT" "$SMALL" "$GEN_BYTES" "$FOUNDATION_BYTES" "$(stat -c %s "$WORK/orders.jsonl")" "$(stat -c %s "$WORK/orders.csv")" <<'PY'
import sys
path, count, small, gen_bytes, foundation_bytes, json_bytes, csv_bytes = sys.argv[1], *map(int, sys.argv[2:])
best = {}
for line in open(path):
    name, seconds, rss = line.split()
    seconds, rss = float(seconds), int(rss)
    old = best.get(name)
    best[name] = (min(seconds, old[0]) if old else seconds, max(rss, old[1]) if old else rss)

def row(label, name, records, size):
    seconds, rss = best[name]
    seconds = max(seconds, 0.01)
    print(f"| {label:50} | {records:>9,} | {size / 1e6:8.1f} | {seconds:7.2f} | {records / seconds:11,.0f} | {size / 1e6 / seconds:6.1f} | {rss / 1024:8.1f} |")

print(f"| {'run':50} | {'records':>9} | {'MB':>8} | {'s':>7} | {'records/s':>11} | {'MB/s':>6} | {'RSS MiB':>8} |")
print(f"|{'-' * 52}|{'-' * 11}|{'-' * 10}|{'-' * 9}|{'-' * 13}|{'-' * 8}|{'-' * 10}|")
row("generator-otel (byte writer)", "generator-bytes", count, gen_bytes)
row("generator-otel --encoder foundation (JSONEncoder)", "generator-foundation", count, foundation_bytes)
row("loader-otel, JSON Lines into empty table", "loader", count, json_bytes)
row("psql \\copy, same rows as CSV, same table", "psql-copy-csv", count, csv_bytes)
row("loader-otel, reload (all ids present)", "loader-reload", count, json_bytes)
row(f"loader-otel, {small:,} records (RSS check)", "loader-small", small, json_bytes * small // count)
speedup = best["generator-foundation"][0] / best["generator-bytes"][0]
ratio = best["loader"][0] / best["psql-copy-csv"][0]
print()
print(f"generator: {speedup:.1f}x JSONEncoder's records/s (target >= 3x)")
print(f"loader: {ratio:.2f}x psql \\copy's wall time (target <= 1.5x)")
print(f"loader peak RSS: {best['loader'][1] / 1024:.1f} MiB at {count:,} records, {best['loader-small'][1] / 1024:.1f} MiB at {small:,} (target <= 100 MiB)")
PY
