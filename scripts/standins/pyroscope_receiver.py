#!/usr/bin/env python3
"""Grafana Pyroscope stand-in: serves the legacy ingest API as the Pyroscope server does.

Ingest (--http-port):  POST /ingest?name=APP{k=v,...}&from=..&until=..&format=..&sampleRate=..&spyName=..
  bodies: multipart/form-data with a `profile` part (+ optional `prev_profile`, `sample_type_config`) and no
  `format`; raw pprof (gzipped or not) with format=pprof; folded (`a;b;c N` lines, the default) and `lines`.
  pprof is decoded with profile_pb2 generated from the official profile.proto (scripts/setup.sh).
  200 empty body = stored; 400 bad metadata (the `name` parser's errors, as the server words them);
  422 validation (as `validate_series` says: the labels the server adds counted, a name starting with a digit,
  the same name twice after dots are read as `_`, too many labels, over-long names/values, invalid sample labels,
  an undecodable or inconsistent profile, a profile older than 1 h or more than 10 min in the future);
  scripted statuses (--responses / POST /control/responses) are answered before any parsing.
Query + control (--query-port, JSON):
  GET  /health                       {"status":"ok","uploads":N,"attempts":N}
  GET  /uploads[?app=NAME][&label=k=v ...][&all=1]   stored uploads (all=1: every attempt, with its status)
  POST /control/responses            {"statuses":[500,"hang",200]}  answered in order, then normal handling
  POST /control/hang                 {"hang":true|false}            accept and never answer (like --hang)
  POST /control/reset                forget every upload and attempt
Start-up: prints one JSON line {"http_port":..,"query_port":..,"url":..,"query_url":..,"pid":..}.
--tls-cert FILE --tls-key FILE serve ingest over TLS (url then starts with https://); each upload records
`tls_version` (null over plain HTTP), `http_version` (1.1 or 2) and the `host` it was addressed to; --http2 offers
HTTP/2 through ALPN as well.
--out DIR saves each received profile (APP-SEQ.pb.gz, or .folded) for the demo.
"""

import argparse
import base64
import binascii
import calendar
import email.parser
import email.policy
import gzip
import json
import os
import re
import select
import socket
import ssl
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

sys.path.insert(0, common.generated_dir())
try:
    import profile_pb2  # noqa: E402  (generated from Debian's golang-github-google-pprof-dev profile.proto)
except ImportError:
    sys.exit(f"pyroscope_receiver: profile_pb2 not found in {common.generated_dir()}: run scripts/setup.sh")

# Server defaults (Pyroscope limits) that the stand-in enforces.
MAX_LABELS_PER_SERIES = 30
MAX_LABEL_NAME_LENGTH = 1024
MAX_LABEL_VALUE_LENGTH = 2048
MAX_PROFILE_AGE_NANOS = 3600 * 10**9
MAX_PROFILE_FUTURE_NANOS = 600 * 10**9
KNOWN_PROFILE_TYPES = {
    "cpu", "wall", "inuse_objects", "inuse_space", "alloc_objects", "alloc_space", "goroutines", "mutex_count",
    "mutex_duration", "block_count", "block_duration", "itimer", "alloc_in_new_tlab_objects",
    "alloc_in_new_tlab_bytes", "alloc_outside_tlab_objects", "alloc_outside_tlab_bytes", "lock_count",
    "lock_duration", "live", "exceptions", "seconds", "nanoseconds", "microseconds", "milliseconds", "bytes",
}


class RequestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# --- the legacy `name` parser (labelset.Parse) ----------------------------------------------------------

def _label_rune_ok(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9") or c in "_."


def _go_quote_rune(c):
    return "'" + (c if c.isprintable() and c not in "'\\" else c.encode("unicode_escape").decode()) + "'"


def validate_label_name(key):
    if not key:
        raise RequestError(400, "label name is required")
    for c in key:
        if not _label_rune_ok(c):
            raise RequestError(400, f"invalid label name: {key}: character is not allowed: {_go_quote_rune(c)}")
    if key == "__name__":
        raise RequestError(400, f"label name is reserved: {key}")


def sanitize_legacy_label_name(name):
    """validation.SanitizeLegacyLabelName: [A-Za-z_] then [A-Za-z0-9_], dots read as `_`; None if invalid."""
    if not name:
        return None
    for index, c in enumerate(name):
        if not (("a" <= c <= "z") or ("A" <= c <= "Z") or c == "_" or ("0" <= c <= "9" and index > 0) or c == "."):
            return None
    return name.replace(".", "_")


def validate_series_labels(pairs):
    """validation.ValidateLabels (pkg/validation/validate.go) over one series' label pairs; raises 422."""
    text = "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(pairs)) + "}"
    if len(pairs) > MAX_LABELS_PER_SERIES:
        raise RequestError(422, f"profile series '{text}' has {len(pairs)} label names; limit {MAX_LABELS_PER_SERIES}")
    stored = {}
    for name, value in sorted(pairs):
        if len(name.encode()) > MAX_LABEL_NAME_LENGTH:
            raise RequestError(422, f"profile with labels '{text}' has label name too long: '{name}'")
        if len(value.encode()) > MAX_LABEL_VALUE_LENGTH:
            raise RequestError(422, f"profile with labels '{text}' has label value too long: '{value}'")
        sanitized = sanitize_legacy_label_name(name)
        if sanitized is None:
            raise RequestError(422, f"invalid labels '{text}' with error: invalid label name '{name}'")
        # The same name twice is refused; a name that is the same only after sanitizing is merged when the
        # values agree (handleSanitizedLabel).
        if sanitized in stored and (stored[sanitized][0] == name or stored[sanitized][1] != value):
            raise RequestError(422, f"profile with labels '{text}' has duplicate label name: '{sanitized}'")
        stored[sanitized] = (name, value)


def metric_name(profile):
    """The series' __name__ for a pprof body, as `metricName` (pkg/og/convert/pprof/profile.go) derives it from the
    sample types, not from the `name` parameter: any `wall` makes it a wall profile, else a type containing `cpu` a
    process_cpu one."""
    types = [t["type"] for t in profile.get("sample_types", [])]
    if "wall" in types:
        return "wall"
    if any("cpu" in t for t in types):
        return "process_cpu"
    return types[0] if types else "process_cpu"


def validate_series(entry, app, profile):
    """The series a legacy pprof upload makes, counted and checked as the server does it.

    `createLabels` (pkg/og/convert/pprof/profile.go) puts __name__, __delta__ and pyroscope_spy on the series,
    service_name unless the name has that label, then the name's labels; `pprofsplit.VisitSampleSeries` adds
    each sample's string labels but trace_id and span_id (profile_id is renamed span_id), a name already there
    winning (addSampleLabelsToLabelsBuilder); each resulting series then goes through validation.ValidateLabels.
    """
    name = metric_name(profile) if entry["body_kind"] in ("pprof", "multipart") else "process_cpu"
    base = [("__name__", name), ("__delta__", "false"), ("pyroscope_spy", entry["spy_name"])]
    if "service_name" not in entry["labels"]:
        base.append(("service_name", app))
    base += list(entry["labels"].items())
    checked = set()
    for sample in profile["samples"]:
        names = {name for name, _ in base}
        extra = tuple(sorted((k, v) for k, v in sample["labels"].items()
                             if k not in ("span_id", "trace_id", "profile_id") and k not in names))
        if extra not in checked:
            checked.add(extra)
            validate_series_labels(base + list(extra))


def validate_service_name(name):
    if not name:
        raise RequestError(400, "service name is required")
    for c in name:
        if not (_label_rune_ok(c) or c in "-/"):
            raise RequestError(400, f"invalid service name: {name}: character is not allowed: {_go_quote_rune(c)}")


def parse_name(name):
    """Pyroscope's labelset.Parse, character for character: returns {"__name__": app.type, label: value}."""
    labels, state, key, value = {}, "name", [], []
    for c in name + "{":
        if state == "name":
            if c == "{":
                state = "labels"
                service = "".join(value).strip()
                validate_service_name(service)
                labels["__name__"] = service
            else:
                value.append(c)
        elif state == "labels":
            if c == "}":
                state = "done"
            elif c == "=":
                state = "value"
                value = []
            else:
                key.append(c)
        elif state == "value":
            if c in ",}":
                state = "labels"
                k = "".join(key).strip()
                if k != "__name__":
                    validate_label_name(k)
                labels[k] = "".join(value).strip()
                key = []
            else:
                value.append(c)
    return labels


def parse_time(raw, now_nanos):
    """attime.Parse for the forms clients send: all digits, read by length (s, ms, µs, ns; 8 = YYYYMMDD)."""
    s = (raw or "").strip().replace("_", "").replace(",", "").replace(" ", "")
    if not s:
        return now_nanos
    if s.isdigit():
        if len(s) == 8:
            try:
                t = time.strptime(s, "%Y%m%d")
                if t.tm_year > 1900:
                    return calendar.timegm(t) * 10**9
            except ValueError:
                pass
        v = int(s)
        return {13: v * 10**6, 16: v * 10**3, 19: v}.get(len(s), v * 10**9)
    return now_nanos  # relative forms ("now-1h") are not used by the clients we emulate


# --- profile decoding -------------------------------------------------------------------------------------

def maybe_gunzip(data):
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise RequestError(422, f"failed to gunzip profile: {error}")
    return data


def decode_pprof(raw):
    data = maybe_gunzip(raw)
    profile = profile_pb2.Profile()
    try:
        profile.ParseFromString(data)
    except Exception as error:  # noqa: BLE001 - DecodeError and friends
        raise RequestError(422, f"failed to parse pprof: {error}")
    strings = list(profile.string_table)
    if not strings or strings[0] != "":
        raise RequestError(422, "invalid pprof: string_table[0] must be the empty string")

    def string(index, what):
        if index < 0 or index >= len(strings):
            raise RequestError(422, f"invalid pprof: {what} string index {index} out of range ({len(strings)})")
        return strings[index]

    functions = {}
    for f in profile.function:
        if f.id == 0 or f.id in functions:
            raise RequestError(422, f"invalid pprof: function id {f.id} is zero or duplicated")
        functions[f.id] = (string(f.name, "function.name"), string(f.system_name, "function.system_name"),
                           string(f.filename, "function.filename"))
    mappings = {}
    for m in profile.mapping:
        if m.id == 0 or m.id in mappings:
            raise RequestError(422, f"invalid pprof: mapping id {m.id} is zero or duplicated")
        mappings[m.id] = string(m.filename, "mapping.filename")
        string(m.build_id, "mapping.build_id")
    locations = {}
    for loc in profile.location:
        if loc.id == 0 or loc.id in locations:
            raise RequestError(422, f"invalid pprof: location id {loc.id} is zero or duplicated")
        if loc.mapping_id and loc.mapping_id not in mappings:
            raise RequestError(422, f"invalid pprof: location {loc.id} refers to missing mapping {loc.mapping_id}")
        names = []
        for line in loc.line:  # callee first: the last line is the caller the others were inlined into
            if line.function_id not in functions:
                raise RequestError(422, f"invalid pprof: location {loc.id} refers to missing function {line.function_id}")
            names.append(functions[line.function_id][0])
        locations[loc.id] = names or [f"0x{loc.address:x}"]
    sample_types = [{"type": string(v.type, "sample_type.type"), "unit": string(v.unit, "sample_type.unit")}
                    for v in profile.sample_type]
    samples = []
    for index, sample in enumerate(profile.sample):
        if len(sample.value) != len(sample_types):
            raise RequestError(422, f"invalid pprof: sample {index} has {len(sample.value)} values for "
                                    f"{len(sample_types)} sample types")
        leaf_first = []
        for location_id in sample.location_id:
            if location_id not in locations:
                raise RequestError(422, f"invalid pprof: sample {index} refers to missing location {location_id}")
            leaf_first.extend(locations[location_id])
        labels, num_labels = {}, {}
        for label in sample.label:
            key = string(label.key, "label.key")
            if label.str:
                labels[key] = string(label.str, "label.str")
            else:
                num_labels[key] = label.num
        samples.append({"stack": list(reversed(leaf_first)), "values": list(sample.value), "labels": labels,
                        "num_labels": num_labels})
    totals = [sum(s["values"][i] for s in samples) for i in range(len(sample_types))]
    return {
        "sample_types": sample_types,
        "period_type": {"type": string(profile.period_type.type, "period_type.type"),
                        "unit": string(profile.period_type.unit, "period_type.unit")},
        "period": profile.period,
        "time_nanos": profile.time_nanos,
        "duration_nanos": profile.duration_nanos,
        "default_sample_type": string(profile.default_sample_type, "default_sample_type"),
        "comments": [string(c, "comment") for c in profile.comment],
        "samples": samples,
        "totals": totals,
        "mapping_count": len(profile.mapping),
        "location_count": len(profile.location),
        "function_count": len(profile.function),
        "mapping_files": [mappings[k] for k in sorted(mappings)],
    }


def decode_folded(raw, lines_format=False):
    text = maybe_gunzip(raw).decode("utf-8", errors="replace")
    counts = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if lines_format:
            stack, count = line, 1
        else:
            stack, _, count_text = line.rpartition(" ")
            try:
                count = int(count_text)
            except ValueError:
                raise RequestError(422, f"folded line {number}: no sample count after the last space")
        counts[stack] = counts.get(stack, 0) + count
    samples = [{"stack": stack.split(";"), "values": [count], "labels": {}, "num_labels": {}}
               for stack, count in counts.items()]
    return {"sample_types": [], "period_type": None, "period": 0, "time_nanos": 0, "duration_nanos": 0,
            "default_sample_type": "", "comments": [], "samples": samples,
            "totals": [sum(counts.values())], "mapping_count": 0, "location_count": 0, "function_count": 0,
            "mapping_files": []}


def multipart_parts(content_type, body):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
    if not message.is_multipart():
        raise RequestError(422, "multipart body could not be parsed (boundary?)")
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            parts[name] = part.get_payload(decode=True) or b""
    return parts


# --- the receiver -------------------------------------------------------------------------------------------

def auth_summary(header):
    """What the Authorization header carried, never the secret itself."""
    if not header:
        return {"scheme": None, "user": None, "password_present": False, "token_present": False}
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return {"scheme": "basic", "user": None, "password_present": False, "token_present": False}
        return {"scheme": "basic", "user": user, "password_present": bool(password), "token_present": False}
    if scheme.lower() == "bearer":
        return {"scheme": "bearer", "user": None, "password_present": False, "token_present": bool(credentials.strip())}
    return {"scheme": scheme.lower(), "user": None, "password_present": False, "token_present": bool(credentials)}


class Receiver:
    def __init__(self, responses, hang, out_dir):
        self.lock = threading.Lock()
        self.responses = list(responses)
        self.hang = hang
        self.out_dir = out_dir
        self.attempts = []
        self.stopping = threading.Event()
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)

    def next_scripted(self):
        with self.lock:
            if self.responses:
                return self.responses.pop(0)
            return "hang" if self.hang else None

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.attempts) + 1
            self.attempts.append(entry)
            return entry["seq"]

    def handle_ingest(self, handler, query, body):
        """Returns (status, message, entry). entry is recorded by the caller."""
        now = time.time_ns()
        headers = handler.headers
        content_type = headers.get("Content-Type", "")
        entry = {
            "received_unix_nanos": now,
            "status": None, "stored": False, "error": None,
            "name": query.get("name", ""),
            "format": query.get("format", ""),
            "content_type": content_type,
            "tenant": headers.get("X-Scope-OrgID"),
            "auth": auth_summary(headers.get("Authorization")),
            "user_agent": headers.get("User-Agent"),
            "host": headers.get("Host"),
            "tls_version": handler.connection.version() if isinstance(handler.connection, ssl.SSLSocket) else None,
            "http_version": "2" if getattr(handler, "http2", False) else handler.request_version.removeprefix("HTTP/"),
            "body_bytes": len(body),
        }
        # Metadata (parseInputMetadataFromRequest): errors are 400.
        labels = parse_name(query.get("name", ""))
        full_name = labels.pop("__name__")
        parts = full_name.split(".")
        profile_type = "cpu" if len(parts) <= 1 else parts[-1]
        app = full_name if len(parts) <= 1 else ".".join(parts[:-1])
        sample_rate_text = query.get("sampleRate", "")
        sample_rate = int(sample_rate_text) if re.fullmatch(r"[+-]?\d+", sample_rate_text or "") else 100
        entry.update({
            "app_name": app,
            "profile_type": profile_type,
            "labels": {k: v for k, v in labels.items() if not k.startswith("__")},
            "from_raw": query.get("from"), "until_raw": query.get("until"),
            "from_unix_nanos": parse_time(query.get("from"), now),
            "until_unix_nanos": parse_time(query.get("until"), now),
            "sample_rate": sample_rate,
            "spy_name": query.get("spyName") or "unknown",
            "units": query.get("units") or "samples",
            "aggregation_type": query.get("aggregationType") or "sum",
        })
        entry["service_name"] = entry["labels"].get("service_name", app)

        # Body (readInputRawDataFromRequest's switch, in its order).
        fmt = query.get("format", "")
        sample_type_config = None
        if fmt == "trie" or content_type == "binary/octet-stream+trie" or fmt in ("tree", "jfr", "speedscope") \
                or content_type == "binary/octet-stream+tree":
            raise RequestError(422, f"format {fmt or content_type} is not supported by this stand-in")
        if fmt == "lines":
            kind, profile = "lines", decode_folded(body, lines_format=True)
            raw_profile = None
        elif fmt == "pprof":
            kind, raw_profile = "pprof", body
            profile = decode_pprof(body)
        elif "multipart/form-data" in content_type:
            kind = "multipart"
            parts = multipart_parts(content_type, body)
            if "profile" not in parts:
                raise RequestError(422, "multipart body has no `profile` part")
            raw_profile = parts["profile"]
            profile = decode_pprof(raw_profile)
            if "sample_type_config" in parts:
                try:
                    sample_type_config = json.loads(parts["sample_type_config"])
                except ValueError as error:
                    raise RequestError(422, f"sample_type_config is not JSON: {error}")
            entry["prev_profile"] = "prev_profile" in parts
        else:
            kind, profile = "folded", decode_folded(body)
            raw_profile = None
            if profile_type not in KNOWN_PROFILE_TYPES:
                raise RequestError(400, f"pyroscopeIngesterAdapter failed to convert metadata: "
                                        f"unknown profile type: {profile_type}")
        entry.update({"body_kind": kind, "sample_type_config": sample_type_config, "profile": profile})
        if kind in ("pprof", "multipart"):
            # For a pprof body the server takes no profile type from the name: service_name is the whole name
            # before `{` (labelset.ServiceName, used by createLabels), so `APP.cpu{}` is stored as service "APP.cpu".
            app = full_name
            entry["app_name"] = app
            entry["profile_type"] = metric_name(profile)
            # One series per sample type, typed `__name__:type:unit:periodType:periodUnit` as CreateProfileLabels
            # (pkg/phlaredb/labels/labels.go) builds it: what the UI lists as the profile types.
            period = profile.get("period_type") or {"type": "", "unit": ""}
            entry["profile_types"] = [f"{entry['profile_type']}:{t['type']}:{t['unit']}:{period['type']}:{period['unit']}"
                                      for t in profile.get("sample_types", [])]
            entry["service_name"] = entry["labels"].get("service_name", app)

        # Series validation (the distributor's limits): 422.
        validate_series(entry, app, profile)
        profile_time = profile["time_nanos"] or entry["from_unix_nanos"]
        if profile_time < now - MAX_PROFILE_AGE_NANOS:
            raise RequestError(422, f"profile too old: {profile_time} ns is more than 1 h ago")
        if profile_time > now + MAX_PROFILE_FUTURE_NANOS:
            raise RequestError(422, f"profile too new: {profile_time} ns is more than 10 min in the future")

        if "profile_id" in entry["labels"] and entry["labels"]["profile_id"] and kind in ("folded", "lines"):
            entry["error"] = "silently dropped: profile_id label on a folded/lines upload"
            return 200, "", entry

        if self.out_dir:
            safe_app = re.sub(r"[^A-Za-z0-9_.-]", "_", app)
            with self.lock:
                sequence = len(self.attempts) + 1
            if raw_profile is not None:
                path = os.path.join(self.out_dir, f"{safe_app}-{sequence:04d}.pb.gz")
                data = raw_profile if raw_profile[:2] == b"\x1f\x8b" else gzip.compress(raw_profile)
            else:
                path = os.path.join(self.out_dir, f"{safe_app}-{sequence:04d}.folded")
                data = "".join(f"{';'.join(s['stack'])} {s['values'][0]}\n" for s in profile["samples"]).encode()
            with open(path, "wb") as file:
                file.write(data)
            entry["file"] = path
        entry["stored"] = True
        return 200, "", entry

    def uploads(self, app=None, labels=(), include_all=False):
        with self.lock:
            items = list(self.attempts)
        if not include_all:
            items = [u for u in items if u["stored"]]
        if app:
            items = [u for u in items if app in (u.get("app_name"), u.get("service_name"))]
        for key, value in labels:
            items = [u for u in items if (u.get("labels") or {}).get(key) == value]
        return items


def wait_until_client_leaves(connection, stopping):
    """--hang: hold the connection, never answer, until the client hangs up or the receiver stops."""
    while not stopping.is_set():
        readable, _, _ = select.select([connection], [], [], 0.5)
        if readable:
            try:
                if not connection.recv(65536, socket.MSG_PEEK):
                    return
                connection.recv(65536)
            except OSError:
                return


def make_ingest_handler(receiver):
    class IngestHandler(common.JSONHandler):
        def do_POST(self):  # noqa: N802
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            try:
                body = self.read_body()
            except (OSError, ValueError) as error:
                self.reply(408, f"failed to read request body: {error}")
                return
            if url.path != "/ingest":
                self.reply(404, "404 page not found\n")
                return
            scripted = receiver.next_scripted()
            if scripted == "hang":
                receiver.record({"received_unix_nanos": time.time_ns(), "status": "hang", "stored": False,
                                 "name": query.get("name", ""), "error": "scripted hang"})
                self.close_connection = True
                wait_until_client_leaves(self.connection, receiver.stopping)
                return
            if scripted is not None and scripted != 200:
                receiver.record({"received_unix_nanos": time.time_ns(), "status": scripted, "stored": False,
                                 "name": query.get("name", ""), "error": "scripted failure"})
                self.reply(int(scripted), f"scripted failure {scripted}\n")
                return
            try:
                status, message, entry = receiver.handle_ingest(self, query, body)
            except RequestError as error:
                entry = {"received_unix_nanos": time.time_ns(), "stored": False, "name": query.get("name", "")}
                status, message = error.status, str(error)
                if status == 400:
                    message = f"name: {message}" if not message.startswith("pyroscope") else message
                entry["error"] = message
            entry["status"] = status
            receiver.record(entry)
            self.reply(status, message + ("\n" if message else ""))

    return IngestHandler


def parse_statuses(values):
    statuses = []
    for value in values:
        if isinstance(value, str) and value.strip().lower() == "hang":
            statuses.append("hang")
        else:
            status = int(value)
            if not 100 <= status <= 599:
                raise ValueError(f"not an HTTP status: {value}")
            statuses.append(status)
    return statuses


def make_query_handler(receiver):
    class QueryHandler(common.JSONHandler):
        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            params = parse_qs(url.query, keep_blank_values=True)
            if url.path == "/health":
                with receiver.lock:
                    stored = sum(1 for u in receiver.attempts if u["stored"])
                    self.reply_json(200, {"status": "ok", "uploads": stored, "attempts": len(receiver.attempts)})
            elif url.path == "/uploads":
                labels = [tuple(label.split("=", 1)) for label in params.get("label", []) if "=" in label]
                include_all = params.get("all", ["0"])[-1] in ("1", "true")
                self.reply_json(200, receiver.uploads(params.get("app", [None])[-1], labels, include_all))
            else:
                self.reply(404, "not found")

        def do_POST(self):  # noqa: N802
            url = urlparse(self.path)
            body = self.read_body()
            try:
                document = json.loads(body or b"{}")
                if url.path == "/control/responses":
                    statuses = parse_statuses(document.get("statuses", []))
                    with receiver.lock:
                        receiver.responses = statuses
                elif url.path == "/control/hang":
                    with receiver.lock:
                        receiver.hang = bool(document.get("hang", True))
                elif url.path == "/control/reset":
                    with receiver.lock:
                        receiver.attempts.clear()
                        receiver.responses.clear()
                        receiver.hang = False
                else:
                    self.reply(404, "not found")
                    return
            except (ValueError, TypeError, AttributeError) as error:
                self.reply_json(400, {"error": str(error)})
                return
            self.reply_json(200, {"ok": True})

    return QueryHandler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, default=0, help="ingest port (0 = a free port)")
    parser.add_argument("--query-port", type=int, default=0, help="query/control port (0 = a free port)")
    parser.add_argument("--responses", default="", help="statuses to answer before normal handling, e.g. 500,200")
    parser.add_argument("--hang", action="store_true", help="accept uploads and never answer")
    parser.add_argument("--out", help="save every received profile into this directory")
    parser.add_argument("--tls-cert", help="serve ingest over TLS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the certificate's PEM private key")
    parser.add_argument("--http2", action="store_true", help="with TLS, offer HTTP/2 (ALPN h2) as well as HTTP/1.1")
    common.add_common_arguments(parser)
    args = parser.parse_args()
    common.install_stop_handlers(args.exit_on_stdin_eof)
    try:
        responses = parse_statuses([v for v in args.responses.split(",") if v.strip()])
    except ValueError as error:
        sys.exit(f"pyroscope_receiver: --responses: {error}")

    receiver = Receiver(responses, args.hang, args.out)
    try:
        if args.tls_cert:
            ingest = common.TLSServer((common.LOOPBACK, args.http_port), make_ingest_handler(receiver),
                                      args.tls_cert, args.tls_key, http2=args.http2)
        else:
            ingest = common.QuietServer((common.LOOPBACK, args.http_port), make_ingest_handler(receiver))
        query = common.QuietServer((common.LOOPBACK, args.query_port), make_query_handler(receiver))
    except (OSError, ssl.SSLError) as error:
        sys.exit(f"pyroscope_receiver: cannot bind or load the TLS certificate: {error}")
    common.serve_in_background(ingest)
    common.serve_in_background(query)
    http_port, query_port = ingest.server_address[1], query.server_address[1]
    common.announce({
        "http_port": http_port, "query_port": query_port,
        "url": f"{'https' if args.tls_cert else 'http'}://{common.LOOPBACK}:{http_port}",
        "query_url": f"http://{common.LOOPBACK}:{query_port}",
        "pid": os.getpid(),
    })
    common.wait_for_stop()
    receiver.stopping.set()
    ingest.shutdown()
    query.shutdown()


if __name__ == "__main__":
    main()
