#!/usr/bin/env python3
"""Where the loader's wall time went, from a `hybrid-run --wall` pprof: client CPU vs waiting for the server.

    wall_split.py PROFILE.pb.gz

Reads the local pprof (sample types samples/count, cpu/nanoseconds, wall/nanoseconds; decoded as the Pyroscope
stand-in decodes) and keeps the stacks of the thread that runs the load (those through `OrderLoader.load`). Its wall
time splits into on-CPU time (split by what the frames say: JSON parsing, COPY escaping, libpq, other) and off-CPU
time, of which the part under a libpq frame is the wait for PostgreSQL (libpq's send and poll); the rest is mostly
time runnable but waiting for a CPU (counted at the running stack). Then the same split per span name, from the
samples labelled `span_name` (the loader publishes its active span, OTEP 4947, and hybrid-run labels off-CPU time
with the span its thread was blocked in, as it labels CPU samples). Prints a few lines.
"""
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyroscope_receiver  # noqa: E402  (decode_pprof)

LOAD_FRAME = "OrderLoader.load("
# Client CPU parts by the function a frame belongs to (a method, or a closure in one; not a parameter type):
# the innermost frame that matches one decides.
CPU_PARTS = (
    ("JSON parsing and validation", re.compile(r"^(?:.* in )?(?:static )?Records\.")),
    ("COPY text escaping", re.compile(r"^(?:.* in )?(?:static )?PostgresLoader\.CopyTextEncoder\.")),
    ("libpq (building and sending COPY data)", re.compile(r"^(?:libpq\.so|PQ|pq)")),
)


def is_libpq(frame):
    return frame.startswith("libpq.so") or frame.startswith("PQ") or frame.startswith("pq")


# Per span name: at most this many lines, the spans with the most wall time.
SPANS_SHOWN = 6


def seconds(nanos):
    return f"{nanos / 1e9:6.2f} s"


def main():
    if len(sys.argv) != 2:
        print("wall_split.py: usage: wall_split.py PROFILE.pb.gz", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as file:
        profile = pyroscope_receiver.decode_pprof(file.read())
    types = [t["type"] for t in profile["sample_types"]]
    if "wall" not in types or "cpu" not in types:
        print(f"wall_split.py: {sys.argv[1]} has no wall sample type (run hybrid-run with --wall)", file=sys.stderr)
        return 1
    cpu_index, wall_index = types.index("cpu"), types.index("wall")
    cpu_parts = {name: 0 for name, _ in CPU_PARTS}
    cpu_other = waiting = off_other = 0
    spans = {}  # span name -> [client CPU, waiting for the server, other off-CPU]
    for sample in profile["samples"]:
        stack = sample["stack"]  # root first
        cpu, wall = sample["values"][cpu_index], sample["values"][wall_index]
        # Off-CPU time under a libpq frame is the wait for the server, in all and per span alike.
        waits_for_server = any(is_libpq(frame) for frame in stack)
        span = sample["labels"].get("span_name")
        if span:
            parts = spans.setdefault(span, [0, 0, 0])
            parts[0] += cpu
            parts[1 if waits_for_server else 2] += wall - cpu
        if not any(LOAD_FRAME in frame for frame in stack):
            continue
        part = next((name for frame in reversed(stack) for name, pattern in CPU_PARTS if pattern.match(frame)), None)
        if part:
            cpu_parts[part] += cpu
        else:
            cpu_other += cpu
        if waits_for_server:
            waiting += wall - cpu
        else:
            off_other += wall - cpu
    total = sum(cpu_parts.values()) + cpu_other + waiting + off_other
    if total <= 0:
        print(f"wall_split.py: no stack of {sys.argv[1]} runs through {LOAD_FRAME}", file=sys.stderr)
        return 1
    client = sum(cpu_parts.values()) + cpu_other

    def share(nanos):
        return f"{100 * nanos / total:3.0f} %"

    print(f"  wall time of the load      {seconds(total)}  (the loading thread, from the wall profile)")
    print(f"  client CPU                 {seconds(client)}  {share(client)}")
    for name, nanos in list(cpu_parts.items()) + [("other (runtime, allocation, …)", cpu_other)]:
        print(f"    {name:<40} {seconds(nanos)}  {share(nanos)}")
    print(f"  waiting for the server     {seconds(waiting)}  {share(waiting)}  (off-CPU under libpq: send, poll)")
    print(f"  waiting for a CPU, other   {seconds(off_other)}  {share(off_other)}  (run queue, reading the file)")
    if spans:
        print("  per span (its span_name's wall time: client CPU, waiting for the server, other off-CPU):")
        for name, parts in sorted(spans.items(), key=lambda item: -sum(item[1]))[:SPANS_SHOWN]:
            span_total = sum(parts)
            if span_total <= 0:
                continue
            client, server, other = (f"{100 * part / span_total:3.0f} %" for part in parts)
            print(f"    {name[:24]:24} {seconds(span_total)}: client CPU {client}, waiting for the server {server}, other {other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
