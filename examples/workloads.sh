#!/usr/bin/env bash
# The two workloads as one traced job: generate orders, then load them into PostgreSQL, both spans children
# of the same caller span (TRACEPARENT), exported over OTLP/gRPC to localhost:4317.
#
#   examples/workloads.sh POSTGRES_URL [COUNT]
#   e.g. examples/workloads.sh 'postgres://user@localhost:5432/db?sslmode=disable' 100000
set -euo pipefail
URL="${1:?usage: examples/workloads.sh POSTGRES_URL [COUNT]}"
COUNT="${2:-100000}"
for product in generator-otel loader-otel; do swift build --product "$product" >/dev/null 2>&1; done
BIN="$(swift build --show-bin-path)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/orders.jsonl"

# One trace for the whole job: a random trace id and a span id standing for this script.
export TRACEPARENT="00-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-01"
export OTEL_EXPORTER_OTLP_ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-localhost:4317}"

"$BIN/generator-otel" "$COUNT" "$FILE" --seed 42
"$BIN/loader-otel" "$URL" "$FILE" --table orders      # loads COUNT rows
"$BIN/loader-otel" "$URL" "$FILE" --table orders      # idempotent: 0 inserted, COUNT already present
echo "trace id: $(cut -d- -f2 <<<"$TRACEPARENT")" >&2
