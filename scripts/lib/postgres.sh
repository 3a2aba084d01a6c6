# shellcheck shell=bash
# Throwaway PostgreSQL for tests and the demo: Debian's binaries, a fresh cluster in a temporary directory,
# listening on 127.0.0.1 (a free port) and on a Unix socket inside that directory. Source this file, then:
#
#   hybrid_pg_start        # exports HYBRID_PG_URL HYBRID_PG_HOST HYBRID_PG_PORT HYBRID_PG_SOCKET_DIR
#                          #         HYBRID_PG_USER HYBRID_PG_PASSWORD HYBRID_PG_DATABASE HYBRID_PG_DIR
#   hybrid_pg_stop         # stops the server (immediate) and removes the directory; safe to call twice
#
# The directory records its owner ($$ of the sourcing shell, or HYBRID_PG_OWNER_PID); hybrid_pg_start first
# stops and removes the clusters whose owner died without cleaning up (e.g. killed with SIGKILL).
#
# HYBRID_PG_URL is postgres://USER:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable (password auth over TCP;
# the socket trusts local connections). Durability is off (fsync, synchronous_commit, full_page_writes):
# the cluster is thrown away. The server refuses to run as root, so everything runs as the `postgres` user.
# Quiet on success; on failure one line on stderr (plus the server log's tail) and a non-zero status.

hybrid_pg__bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" ]] || return 1
  printf '%s\n' "$dir"
}

hybrid_pg__fail() {
  echo "postgres.sh: $1" >&2
  if [[ -n "${HYBRID_PG_DIR:-}" && -s "$HYBRID_PG_DIR/log" ]]; then tail -n 10 "$HYBRID_PG_DIR/log" | sed 's/^/  | /' >&2; fi
  hybrid_pg_stop
  return 1
}

hybrid_pg__as_postgres() {
  # The postgres user cannot enter root's working directory: run from the cluster directory.
  (cd "$HYBRID_PG_DIR" && runuser -u postgres -- "$@")
}

hybrid_pg__free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Servers of shells that were killed outright (SIGKILL: no trap ran) are stopped and removed.
hybrid_pg_sweep_stale() {
  local dir owner bin
  bin="$(hybrid_pg__bin)" || return 0
  for dir in "${HYBRID_PG_TMPDIR:-/tmp}"/hybrid-run-pg.*; do
    owner="$(cat "$dir/owner" 2>/dev/null || true)"
    [[ -n "$owner" ]] && ! kill -0 "$owner" 2>/dev/null || continue
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      (cd "$dir" && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 -s stop) >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  done
}

hybrid_pg_start() {
  local bin password attempt started=""
  bin="$(hybrid_pg__bin)" || { echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql (run scripts/setup.sh)" >&2; return 1; }
  id postgres >/dev/null 2>&1 || { echo "postgres.sh: no 'postgres' user (is the postgresql package installed?)" >&2; return 1; }
  hybrid_pg_sweep_stale

  HYBRID_PG_DIR="$(mktemp -d "${HYBRID_PG_TMPDIR:-/tmp}/hybrid-run-pg.XXXXXX")" || return 1
  export HYBRID_PG_DIR
  chown postgres: "$HYBRID_PG_DIR"
  chmod 0700 "$HYBRID_PG_DIR"
  # One log for everything, owned by postgres so that pg_ctl -l (running as postgres) can append to it too.
  install -o postgres -m 0600 /dev/null "$HYBRID_PG_DIR/log"
  echo "${HYBRID_PG_OWNER_PID:-$$}" >"$HYBRID_PG_DIR/owner"  # the shell whose death makes this dir stale

  hybrid_pg__as_postgres "$bin/initdb" -D "$HYBRID_PG_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >>"$HYBRID_PG_DIR/log" 2>&1 \
    || { hybrid_pg__fail "initdb failed"; return 1; }

  # The port is chosen free just before the start; a lost race is retried with another one.
  for attempt in 1 2 3; do
    HYBRID_PG_PORT="$(hybrid_pg__free_port)" || { hybrid_pg__fail "cannot find a free port"; return 1; }
    if hybrid_pg__as_postgres "$bin/pg_ctl" -D "$HYBRID_PG_DIR/data" -l "$HYBRID_PG_DIR/log" -w -t 60 -s \
        -o "-c listen_addresses=127.0.0.1 -p $HYBRID_PG_PORT -k $HYBRID_PG_DIR -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB" \
        start >>"$HYBRID_PG_DIR/log" 2>&1; then
      started=1
      break
    fi
  done
  [[ -n "$started" ]] || { hybrid_pg__fail "the server did not start"; return 1; }

  password="$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  HYBRID_PG_HOST=127.0.0.1
  HYBRID_PG_SOCKET_DIR="$HYBRID_PG_DIR"
  HYBRID_PG_USER=hybrid
  HYBRID_PG_PASSWORD="$password"
  HYBRID_PG_DATABASE=hybrid_test
  export HYBRID_PG_HOST HYBRID_PG_PORT HYBRID_PG_SOCKET_DIR HYBRID_PG_USER HYBRID_PG_PASSWORD HYBRID_PG_DATABASE

  hybrid_pg__as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$HYBRID_PG_DIR" -p "$HYBRID_PG_PORT" \
    -U postgres -d postgres >>"$HYBRID_PG_DIR/log" 2>&1 <<SQL || { hybrid_pg__fail "cannot create the test role and database"; return 1; }
CREATE ROLE $HYBRID_PG_USER LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE $HYBRID_PG_DATABASE OWNER $HYBRID_PG_USER;
SQL
  export HYBRID_PG_URL="postgres://$HYBRID_PG_USER:$password@127.0.0.1:$HYBRID_PG_PORT/$HYBRID_PG_DATABASE?sslmode=disable"
}

hybrid_pg_stop() {
  local bin dir="${HYBRID_PG_DIR:-}"
  [[ -n "$dir" ]] || return 0
  if [[ -f "$dir/data/postmaster.pid" ]] && bin="$(hybrid_pg__bin)"; then
    hybrid_pg__as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 -s stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  unset HYBRID_PG_DIR HYBRID_PG_URL HYBRID_PG_PASSWORD
}
