# shellcheck shell=bash
# Starting the protocol stand-ins (scripts/standins/) from a script: scripts/test.sh and scripts/demo.sh.
# Source this file, set the variables below, then:
#
#   start_receiver NAME SCRIPT [ARGS...]   starts $STANDINS/SCRIPT with $PYTHON, reads its one-line JSON
#                                          announcement into RECEIVER_LINE (bounded by `read -t`, no sleeping)
#   json_field LINE KEY                    the value of a string or number field of a flat JSON object
#   stop_receivers                         SIGTERM to every started stand-in, bounded wait, then SIGKILL
#   close_hold_fds                         closes the hold descriptors (in a child that must not keep them)
#
# Needs:  WORK      directory for NAME.out (a FIFO, removed once read) and NAME.log (the stand-in's stderr)
#         PYTHON    the stand-ins' venv python (.venv/bin/python, made by scripts/setup.sh)
#         STANDINS  the scripts/standins directory (absolute)
# Keeps:  RECEIVER_PIDS (pids, for the caller's cleanup), HOLD_FDS (the stand-ins' stdin pipes)
#
# Each stand-in runs with --exit-on-stdin-eof and a stdin pipe whose only writer is the calling shell: if the
# shell dies, even by SIGKILL, the stand-in sees EOF and exits. Commands the caller starts in the background
# should run close_hold_fds first, or the stand-ins would outlive the caller as long as those commands run.
# On failure start_receiver prints one line on stderr (prefixed with the caller's name) and returns 1.

RECEIVER_PIDS=()
HOLD_FDS=()
RECEIVER_LINE=""

close_hold_fds() {
  local hold
  for hold in "${HOLD_FDS[@]}"; do exec {hold}>&-; done
}

start_receiver() {
  local name="$1" script="$2" hold fd
  shift 2
  rm -f "$WORK/$name.out"
  mkfifo "$WORK/$name.out" || { echo "$(basename "$0"): cannot create $WORK/$name.out" >&2; return 1; }
  exec {hold}> >(close_hold_fds; exec "$PYTHON" "$STANDINS/$script" --exit-on-stdin-eof "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.log")
  RECEIVER_PIDS+=("$!")
  HOLD_FDS+=("$hold")
  exec {fd}<"$WORK/$name.out"
  RECEIVER_LINE=""
  if ! IFS= read -r -t 60 -u "$fd" RECEIVER_LINE; then
    exec {fd}<&-
    rm -f "$WORK/$name.out"
    echo "$(basename "$0"): the $name stand-in did not start: $(tail -n 1 "$WORK/$name.log" 2>/dev/null)" >&2
    return 1
  fi
  exec {fd}<&-
  rm -f "$WORK/$name.out"
}

json_field() {
  [[ "$1" =~ \"$2\":\"?([^\",}]*) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

stop_receivers() {
  local pid
  for pid in "${RECEIVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${RECEIVER_PIDS[@]}"; do
    # Bounded wait for the stand-in to be gone, then make sure.
    timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  RECEIVER_PIDS=()
}
