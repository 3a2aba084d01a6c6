#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 machine for hybrid-run's build and tests.
#   - installs the Debian packages the build, the tests and the stand-ins need (apt-get only when one is missing)
#   - creates .venv (Debian's /usr/bin/python3) with the pinned stand-in requirements
#   - generates profile_pb2.py from Debian's official pprof profile.proto into .venv/standins-gen/
# Quiet when everything is present; one line on stderr on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/standins/requirements.txt"
GEN_DIR="$VENV/standins-gen"
PROFILE_PROTO=/usr/share/gocode/src/github.com/google/pprof/proto/profile.proto

PACKAGES=(
  libunwind-dev libpq-dev libcurl4-openssl-dev zlib1g-dev
  postgresql postgresql-client
  python3 python3-venv
  golang-github-google-pprof-dev golang-go
  ca-certificates util-linux procps binutils
  gcc libc6-dev chromium
)

LOG="$(mktemp "${TMPDIR:-/tmp}/hybrid-run-setup.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

fail() {
  # One clear line; the tail of the failing tool's log follows only for diagnosis.
  echo "setup.sh: $1" >&2
  if [[ -s "$LOG" ]]; then tail -n 15 "$LOG" | sed 's/^/  | /' >&2; fi
  exit 1
}

# --- Debian packages ---------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  [[ "$(id -u)" == 0 ]] || fail "missing Debian packages (${missing[*]}) and not root to install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$LOG" 2>&1 || fail "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOG" 2>&1 \
    || fail "apt-get install ${missing[*]} failed"
  echo "setup.sh: installed ${missing[*]}"
fi
[[ -f "$PROFILE_PROTO" ]] || fail "$PROFILE_PROTO is missing (golang-github-google-pprof-dev)"

# --- Python venv for the stand-ins ------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.base_prefix == "/usr" else 1)' >/dev/null 2>&1; then
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV" >"$LOG" 2>&1 || fail "could not create $VENV with /usr/bin/python3"
fi

# Every "name==version" pin in requirements.txt installed at exactly that version?
requirements_satisfied() {
  "$VENV/bin/python" - "$REQUIREMENTS" <<'PY' >/dev/null 2>&1
import sys, importlib.metadata as md
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    if md.version(name.strip()) != version.strip():
        sys.exit(1)
PY
}
if ! requirements_satisfied; then
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS" >"$LOG" 2>&1 \
    || fail "pip install -r scripts/standins/requirements.txt failed"
  requirements_satisfied || fail "the venv does not match scripts/standins/requirements.txt after pip install"
fi

# --- profile_pb2.py from the official profile.proto -------------------------------------------
if [[ ! -s "$GEN_DIR/profile_pb2.py" || "$PROFILE_PROTO" -nt "$GEN_DIR/profile_pb2.py" || "$REQUIREMENTS" -nt "$GEN_DIR/profile_pb2.py" ]]; then
  mkdir -p "$GEN_DIR"
  "$VENV/bin/python" -m grpc_tools.protoc -I "$(dirname "$PROFILE_PROTO")" --python_out="$GEN_DIR" \
    "$PROFILE_PROTO" >"$LOG" 2>&1 || fail "protoc could not generate profile_pb2.py from $PROFILE_PROTO"
fi
"$VENV/bin/python" -c "import sys; sys.path.insert(0, '$GEN_DIR'); import profile_pb2, grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc" >"$LOG" 2>&1 \
  || fail "the stand-ins' Python modules do not import from $VENV"
