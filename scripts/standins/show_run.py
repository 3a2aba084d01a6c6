#!/usr/bin/env python3
"""The demo's report of one hybrid-run run, from what the stand-ins received (run with the stand-ins' venv).

  show_run.py --otlp-query URL --pyroscope-query URL --service NAME --hybrid-log FILE
              [--local-profile FILE.pb.gz] [--base DIR] [--top N] [--title TEXT]

Reads the trace id hybrid-run printed on stderr (--hybrid-log: "profile for trace HEX: URL"), then asks
  the OTLP stand-in       GET /spans?trace_id=HEX           the span tree of that trace
  the Pyroscope stand-in  GET /uploads?label=trace_id=HEX   the profiles uploaded for that trace
and prints the trace id, the span tree (names, durations, key attributes), and the top functions by self time
(leaf function of each sample, summed over every upload of the trace).

Correlation checks (any failure: one line per problem on stderr, exit 1):
  - the OTLP stand-in holds exactly one root span for the trace, every span's parent, and spans of NAME;
  - the root span's pyroscope.profile.id attribute is its span id;
  - at least one upload labelled trace_id=HEX (GET /uploads?label=trace_id=HEX), all of them for NAME and
    labelled root_span_id=<root span>, and no upload for NAME with another trace_id;
  - every sample's pprof labels trace_id and span_id are the same ids;
  - the uploads' time range overlaps the root span's;
  - the uploads' sample counts add up to the samples of the local profile (--local-profile) when given.
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyroscope_receiver  # noqa: E402  (decode_pprof: the same decoding as the stand-in's)

# Attributes that describe the connection: shown once per trace, on the first span that has them.
CONTEXT_ATTRIBUTES = ("db.system.name", "server.address", "server.port", "db.namespace")
# Attributes worth a glance, in this order; everything else is left to spans.jsonl.
KEY_ATTRIBUTES = (
    "process.pid", "process.exit.code", "error.type", "pyroscope.profile.id",
    "generator.records.count", "generator.output.bytes",
    "loader.records.count", "loader.rows.copied", "loader.rows.inserted", "loader.rows.already_present",
    "db.response.status_code",
) + CONTEXT_ATTRIBUTES
NAME_WIDTH = 110


class CheckFailed(Exception):
    pass


def get_json(base, path, **params):
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    url = f"{base.rstrip('/')}{path}" + (f"?{query}" if query else "")
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def value_text(value):
    if not isinstance(value, dict) or not value:
        return str(value)
    kind, inner = next(iter(value.items()))
    if kind == "array":
        return "[" + ", ".join(value_text(v) for v in inner) + "]"
    if kind == "bool":
        return "true" if inner else "false"
    return str(inner)


def duration_text(nanos):
    if nanos >= 10**9:
        return f"{nanos / 1e9:.3f} s"
    if nanos >= 10**6:
        return f"{nanos / 1e6:.1f} ms"
    return f"{nanos / 1e3:.0f} µs"


def size_text(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024


def collapse_groups(text):
    """Replaces the contents of every outermost (...) and <...> with "…" ("->" is not a bracket)."""
    pairs = {"(": ")", "<": ">"}
    result, stack = [], []
    for index, c in enumerate(text):
        literal_arrow = c == ">" and index > 0 and text[index - 1] == "-"
        if c in pairs and not (c == "<" and text[index + 1: index + 2] in ("<", "=", " ")):
            if not stack:
                result.append(c)
            stack.append(pairs[c])
        elif stack and c == stack[-1] and not literal_arrow:
            stack.pop()
            if not stack:
                if text[index - 1] not in "(<":
                    result.append("…")
                result.append(c)
        elif not stack:
            result.append(c)
    return text if stack else "".join(result)


def short(name, width=NAME_WIDTH):
    """A function name that fits: private discriminators dropped, then argument and generic lists elided."""
    if len(name) <= width:
        return name
    name = re.sub(r"\((\w+) in _[0-9A-F]{32}\)", r"\1", name)
    name = name.replace("(anonymous namespace)::", "")
    if len(name) > width:
        name = collapse_groups(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def trace_id_from_log(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        found = re.findall(r"profile for trace ([0-9a-f]{32})\b", log.read())
    if not found:
        raise CheckFailed(f"hybrid-run printed no 'profile for trace ID' line in {path}")
    return found[-1]


def fetch_with_patience(fetch, ready, seconds=5.0):
    """Everything is delivered before hybrid-run exits; this only covers a slow stand-in thread."""
    deadline = time.monotonic() + seconds
    while True:
        result = fetch()
        if ready(result) or time.monotonic() >= deadline:
            return result
        time.sleep(0.2)


def span_tree_lines(spans, root):
    children = {}
    for span in spans:
        children.setdefault(span["parent_span_id"], []).append(span)
    shown_context = set()
    lines = []

    def walk(span, depth):
        attributes = span["attributes"]
        parts = []
        for key in KEY_ATTRIBUTES:
            if key not in attributes:
                continue
            if key in CONTEXT_ATTRIBUTES:
                if key in shown_context:
                    continue
                shown_context.add(key)
            text = value_text(attributes[key])
            if key.endswith(".bytes") and text.isdigit():
                text = f"{text} ({size_text(int(text))})"
            parts.append(f"{key}={text}")
        status = span["status"]
        if status["code"] == "error":
            parts.append(f"STATUS ERROR {status['message']}".rstrip())
        duration = duration_text(span["end_time_unix_nano"] - span["start_time_unix_nano"])
        lines.append(f"  {'  ' * depth}{span['name']}  [{span['kind']}, {duration}]" + (f"  {' '.join(parts)}" if parts else ""))
        for event in span["events"]:
            event_attributes = " ".join(f"{k}={value_text(v)}" for k, v in event["attributes"].items())
            lines.append(f"  {'  ' * depth}  · event {event['name']}: {event_attributes}")
        for child in sorted(children.get(span["span_id"], []), key=lambda s: s["start_time_unix_nano"]):
            walk(child, depth + 1)

    walk(root, 0)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otlp-query", required=True, help="the OTLP stand-in's query URL")
    parser.add_argument("--pyroscope-query", required=True, help="the Pyroscope stand-in's query URL")
    parser.add_argument("--service", required=True, help="service.name of the run (the Pyroscope application)")
    parser.add_argument("--hybrid-log", required=True, help="hybrid-run's stderr of the run")
    parser.add_argument("--local-profile", help="the pprof file hybrid-run wrote (-o FILE.pb.gz)")
    parser.add_argument("--base", help="show file paths relative to this directory")
    parser.add_argument("--title", help="heading of the report")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()

    problems = []
    out = []

    def check(condition, problem):
        if not condition:
            problems.append(problem)
        return condition

    def path_text(path):
        return os.path.relpath(path, args.base) if args.base else path

    try:
        trace_id = trace_id_from_log(args.hybrid_log)
    except CheckFailed as error:
        print(f"show_run.py: {error}", file=sys.stderr)
        return 1

    # --- the trace ------------------------------------------------------------------------------------------
    def trace_complete(spans):
        ids = {s["span_id"] for s in spans}
        roots = [s for s in spans if not s["parent_span_id"]]
        return (len(roots) == 1 and all(s["parent_span_id"] in ids for s in spans if s["parent_span_id"])
                and any(s["service_name"] == args.service for s in spans))

    spans = fetch_with_patience(lambda: get_json(args.otlp_query, "/spans", trace_id=trace_id), trace_complete)
    roots = [s for s in spans if not s["parent_span_id"]]
    out.append(f"== {args.title or args.service}")
    out.append(f"trace id  {trace_id}")
    if not check(len(roots) == 1, f"the OTLP stand-in holds {len(roots)} root spans for trace {trace_id} (expected 1)"):
        for problem in problems:
            print(f"show_run.py: {problem}", file=sys.stderr)
        return 1
    root = roots[0]
    root_span_id = root["span_id"]
    ids = {s["span_id"] for s in spans}
    orphans = [s["name"] for s in spans if s["parent_span_id"] and s["parent_span_id"] not in ids]
    check(not orphans, f"spans whose parent never arrived: {', '.join(orphans)}")
    check(any(s["service_name"] == args.service for s in spans),
          f"no span of trace {trace_id} has service.name={args.service}")
    profile_id = value_text(root["attributes"].get("pyroscope.profile.id", {"string": ""}))
    check(profile_id == root_span_id,
          f"root span attribute pyroscope.profile.id={profile_id!r}, expected its span id {root_span_id}")
    counts = {}
    for span in spans:
        counts[span["service_name"]] = counts.get(span["service_name"], 0) + 1
    services = ", ".join(f"{count} from service.name={name}" for name, count in counts.items())
    out.append(f"spans received by the OTLP stand-in: {len(spans)} ({services}); root span {root_span_id}")
    out.extend(span_tree_lines(spans, root))

    # --- the profile ----------------------------------------------------------------------------------------
    ours = fetch_with_patience(lambda: get_json(args.pyroscope_query, "/uploads", label=f"trace_id={trace_id}"),
                               lambda items: bool(items))
    others = [u for u in get_json(args.pyroscope_query, "/uploads", app=args.service)
              if u["labels"].get("trace_id") != trace_id]
    check(ours, f"the Pyroscope stand-in has no upload labelled trace_id={trace_id}")
    for upload in ours:
        check(upload.get("app_name") == args.service,
              f"upload {upload['seq']} labelled trace_id={trace_id} is for application {upload.get('app_name')!r}, "
              f"expected {args.service}")
    check(not others, f"{len(others)} upload(s) for {args.service} carry another trace_id "
                      f"({', '.join(sorted({str(u['labels'].get('trace_id')) for u in others}))})")
    for upload in ours:
        check(upload["labels"].get("root_span_id") == root_span_id,
              f"upload {upload['seq']} has root_span_id={upload['labels'].get('root_span_id')!r}, "
              f"expected {root_span_id}")

    self_time = {}
    # Per span the workload published as its thread context (OTEP 4947): samples labelled with a child span's id.
    spans_by_id = {s["span_id"]: s for s in spans}
    span_self_time = {}
    total_weight = total_samples = 0
    bad_labels = 0
    for upload in ours:
        profile = upload["profile"]
        types = [t["type"] for t in profile["sample_types"]]
        weight_index = types.index("cpu") if "cpu" in types else 0
        count_index = types.index("samples") if "samples" in types else None
        for sample in profile["samples"]:
            labels = sample["labels"]
            if labels.get("trace_id") != trace_id or labels.get("span_id") not in spans_by_id:
                bad_labels += 1
            leaf = sample["stack"][-1] if sample["stack"] else "(no frames)"
            weight = sample["values"][weight_index]
            if labels.get("span_id") in spans_by_id and labels.get("span_id") != root_span_id:
                per_span = span_self_time.setdefault(labels["span_id"], {})
                per_span[leaf] = per_span.get(leaf, 0) + weight
            count = sample["values"][count_index] if count_index is not None else 1
            self_time[leaf] = self_time.get(leaf, 0) + weight
            total_weight += weight
            total_samples += count
    check(bad_labels == 0, f"{bad_labels} samples lack the pprof labels trace_id={trace_id} and the span_id of a span of it")

    if ours:
        start = min(u["from_unix_nanos"] for u in ours)
        end = max(u["until_unix_nanos"] for u in ours)
        check(start <= root["end_time_unix_nano"] and end >= root["start_time_unix_nano"],
              "the profile's time range does not overlap the root span's")
        labels = ", ".join(f"{k}={v}" for k, v in sorted(ours[0]["labels"].items()))
        out.append(f"profile received by the Pyroscope stand-in: {len(ours)} upload(s) of {args.service} "
                   f"{{{labels}}}")
        out.append(f"  upload label trace_id equals the trace id {trace_id}; root_span_id matches the root span; "
                   f"every sample's span_id is the root span's or, where the thread published one, its own span's")
        out.append(f"  {total_samples} samples, {duration_text(total_weight)} CPU over {duration_text(end - start)} "
                   f"of wall time")
    if args.local_profile:
        try:
            with open(args.local_profile, "rb") as file:
                local = pyroscope_receiver.decode_pprof(file.read())
            types = [t["type"] for t in local["sample_types"]]
            local_samples = local["totals"][types.index("samples")] if "samples" in types else len(local["samples"])
        except (OSError, pyroscope_receiver.RequestError) as error:
            local_samples = f"unreadable: {error}"
        check(local_samples == total_samples,
              f"the uploads hold {total_samples} samples, the local profile {path_text(args.local_profile)} "
              f"{local_samples}")
        out.append(f"  same samples as the local profile {path_text(args.local_profile)} ({local_samples})")

    out.append(f"  top functions by self time (leaf frame of each sample):")
    for leaf, weight in sorted(self_time.items(), key=lambda item: (-item[1], item[0]))[: args.top]:
        share = 100.0 * weight / total_weight if total_weight else 0.0
        out.append(f"    {share:5.1f}%  {duration_text(weight):>9}  {short(leaf)}")
    if span_self_time:
        out.append(f"  top functions of each span, from the samples labelled with its span_id (duration from the trace):")
        for span_id, functions in sorted(span_self_time.items(), key=lambda item: spans_by_id[item[0]]["start_time_unix_nano"]):
            span = spans_by_id[span_id]
            cpu = sum(functions.values())
            tops = ", ".join(f"{short(leaf, 28)} {100.0 * weight / cpu:.0f}%"
                             for leaf, weight in sorted(functions.items(), key=lambda item: (-item[1], item[0]))[:3])
            wall = duration_text(span["end_time_unix_nano"] - span["start_time_unix_nano"])
            out.append(f"    {short(span['name'], 24):24} {wall:>9}  {duration_text(cpu):>9} CPU  {tops}")
    files = [u.get("file") for u in ours if u.get("file")]
    if files:
        out.append(f"  received pprof: {', '.join(path_text(f) for f in files)}")

    if problems:
        for problem in problems:
            print(f"show_run.py: {problem}", file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
