"""Runs a command on a new pseudo-terminal, as a user's shell would, and prints what the terminal showed.

    pty_run.py [--after TEXT --send HEX]... -- COMMAND [ARGS...]

Each --after/--send pair waits until TEXT has appeared on the terminal (counting from the previous pair),
then types the bytes given in hex (03 is Ctrl-C). Exits with COMMAND's status (128+N for signal N).
The terminal's line discipline, not this script, turns Ctrl-C into SIGINT for the foreground process group,
which is exactly what a user's keypress does.
"""
import os
import pty
import select
import sys


def main():
    argv = sys.argv[1:]
    steps = []
    while argv and argv[0] != "--":
        if argv[0] == "--after" and len(argv) >= 4 and argv[2] == "--send":
            steps.append((argv[1].encode(), bytes.fromhex(argv[3])))
            argv = argv[4:]
        else:
            sys.exit(f"pty_run.py: unexpected argument {argv[0]!r}")
    command = argv[1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    transcript = b""
    searched_from = 0
    while True:
        if steps:
            marker, keys = steps[0]
            found = transcript.find(marker, searched_from)
            if found >= 0:
                os.write(master, keys)
                searched_from = found + len(marker)
                steps.pop(0)
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            sys.stdout.write(transcript.decode(errors="replace"))
            sys.exit("pty_run.py: no output for 60 s")
        try:
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        transcript += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode(errors="replace"))
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
