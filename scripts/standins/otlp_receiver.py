#!/usr/bin/env python3
"""OTLP trace receiver stand-in: decodes real OTLP with the official `opentelemetry-proto` package.

Ingest:
  gRPC  opentelemetry.proto.collector.trace.v1.TraceService/Export   (--grpc-port, gzip handled by gRPC)
  HTTP  POST /v1/traces  application/x-protobuf or application/json, Content-Encoding gzip   (--http-port)
Query (--query-port, JSON):
  GET /health                      {"status":"ok","spans":N,"requests":N}
  GET /spans[?trace_id=HEX][&name=NAME][&service=NAME]   list of spans in arrival order
  GET /requests                    one entry per export request: transport, compressed, span count, trace_ids,
                                   headers (lowercase names; transport and content headers left out)
Profiles (opentelemetry.proto.profiles.v1development, decoded with the same package):
  gRPC  opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export
  HTTP  POST /v1development/profiles  application/x-protobuf (gzip accepted)
  The development version (`otlp-profiles-development-version` metadata / `OTLP-Profiles-Development-Version`
  header) must be absent or 1, as a version-aware collector requires: else INVALID_ARGUMENT / 400.
  GET /profiles[?trace_id=HEX][&service=NAME]  one entry per received Profile (see profile_entries)
Start-up: prints one JSON line {"grpc_port":..,"http_port":..,"query_port":..} once every port is bound.
--out FILE appends every received span as one JSON line (without request headers).

Span JSON: trace_id, span_id, parent_span_id (lowercase hex, "" when none), trace_state, name,
kind ("unspecified"|"internal"|"server"|"client"|"producer"|"consumer"), start_time_unix_nano,
end_time_unix_nano, attributes, status {code: "unset"|"ok"|"error", message}, events [{name,
time_unix_nano, attributes}], links [{trace_id, span_id, attributes}], resource (attributes),
service_name, scope_name, scope_version, transport ("grpc"|"http/protobuf"|"http/json"), compressed
(true/false for HTTP; null for gRPC, whose compression the server library hides).
Attribute values are typed: {"string": s} | {"bool": b} | {"int": i} | {"double": d} | {"bytes": base64}
| {"array": [values]} | {"kvlist": {key: value}} | {"empty": true}.
"""

import argparse
import base64
import gzip
import json
import os
import string
import sys
import threading
import zlib
from concurrent import futures
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.profiles.v1development import (  # noqa: E402
    profiles_service_pb2, profiles_service_pb2_grpc)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc  # noqa: E402
from opentelemetry.proto.trace.v1 import trace_pb2  # noqa: E402

KINDS = {
    trace_pb2.Span.SPAN_KIND_UNSPECIFIED: "unspecified",
    trace_pb2.Span.SPAN_KIND_INTERNAL: "internal",
    trace_pb2.Span.SPAN_KIND_SERVER: "server",
    trace_pb2.Span.SPAN_KIND_CLIENT: "client",
    trace_pb2.Span.SPAN_KIND_PRODUCER: "producer",
    trace_pb2.Span.SPAN_KIND_CONSUMER: "consumer",
}
STATUS_CODES = {
    trace_pb2.Status.STATUS_CODE_UNSET: "unset",
    trace_pb2.Status.STATUS_CODE_OK: "ok",
    trace_pb2.Status.STATUS_CODE_ERROR: "error",
}
UNINTERESTING_HEADERS = {
    "content-type", "content-length", "content-encoding", "accept-encoding", "host", "connection", "te",
    "user-agent", "grpc-accept-encoding", "grpc-encoding", "grpc-timeout", "accept", ":authority",
}


def any_value(value):
    which = value.WhichOneof("value")
    if which == "string_value":
        return {"string": value.string_value}
    if which == "bool_value":
        return {"bool": value.bool_value}
    if which == "int_value":
        return {"int": value.int_value}
    if which == "double_value":
        return {"double": value.double_value}
    if which == "bytes_value":
        return {"bytes": base64.b64encode(value.bytes_value).decode()}
    if which == "array_value":
        return {"array": [any_value(v) for v in value.array_value.values]}
    if which == "kvlist_value":
        return {"kvlist": attributes(value.kvlist_value.values)}
    return {"empty": True}


def attributes(key_values):
    return {kv.key: any_value(kv.value) for kv in key_values}


def span_json(span, resource, scope, transport, compressed):
    resource_attributes = attributes(resource.attributes)
    service = resource_attributes.get("service.name", {}).get("string", "")
    return {
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "trace_state": span.trace_state,
        "name": span.name,
        "kind": KINDS.get(span.kind, str(span.kind)),
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano,
        "attributes": attributes(span.attributes),
        "status": {"code": STATUS_CODES.get(span.status.code, str(span.status.code)),
                   "message": span.status.message},
        "events": [{"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": attributes(e.attributes)}
                   for e in span.events],
        "links": [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex(),
                   "attributes": attributes(link.attributes)} for link in span.links],
        "resource": resource_attributes,
        "service_name": service,
        "scope_name": scope.name,
        "scope_version": scope.version,
        "transport": transport,
        "compressed": compressed,
    }


class Store:
    def __init__(self, out_path):
        self.lock = threading.Lock()
        self.spans = []
        self.requests = []
        self.out = open(out_path, "a", encoding="utf-8") if out_path else None

    def add(self, request, transport, compressed, headers):
        spans = []
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(span_json(span, resource_spans.resource, scope_spans.scope, transport, compressed))
        with self.lock:
            self.spans.extend(spans)
            self.requests.append({"transport": transport, "compressed": compressed, "spans": len(spans),
                                  "trace_ids": sorted({span["trace_id"] for span in spans}), "headers": headers})
            if self.out:
                for span in spans:
                    self.out.write(json.dumps(span, separators=(",", ":")) + "\n")
                self.out.flush()

    def query(self, trace_id=None, name=None, service=None):
        with self.lock:
            spans = list(self.spans)
        if trace_id:
            spans = [s for s in spans if s["trace_id"] == trace_id.lower()]
        if name:
            spans = [s for s in spans if s["name"] == name]
        if service:
            spans = [s for s in spans if s["service_name"] == service]
        return spans


PROFILES_VERSION_KEY = "otlp-profiles-development-version"
SUPPORTED_PROFILES_VERSIONS = {"1"}


def profiles_version_problem(values):
    """Why the development version metadata is refused (None when absent or supported)."""
    if len(values) > 1:
        return f"{PROFILES_VERSION_KEY} must have exactly one value"
    if values and values[0] not in SUPPORTED_PROFILES_VERSIONS:
        return f"unsupported {PROFILES_VERSION_KEY} {values[0]!r}"
    return None


def profile_entries(request, transport, headers):
    """Each Profile of an ExportProfilesServiceRequest as JSON, its samples resolved through the dictionary:
    stack (function names, root first, inlined lines expanded), values, link ({trace_id, span_id} hex, or null),
    attributes. `dictionary` reports each table's size, how many entries repeat an earlier one (`duplicates`),
    and `problems` (a table whose entry 0 is not the zero value the proto requires, an index out of range)."""
    table = request.dictionary
    problems = []
    names = ("mapping_table", "location_table", "function_table", "link_table", "string_table",
             "attribute_table", "stack_table")
    sizes, duplicates = {}, {}
    for name in names:
        entries = list(getattr(table, name))
        keys = [entry if isinstance(entry, str) else entry.SerializeToString(deterministic=True) for entry in entries]
        sizes[name] = len(entries)
        duplicates[name] = len(keys) - len(set(keys))
        if not entries or keys[0] not in ("", b""):
            problems.append(f"{name}[0] is not the zero value")

    def at(name, index):
        entries = getattr(table, name)
        if not 0 <= index < len(entries):
            problems.append(f"{name} index {index} out of range")
            return None
        return entries[index]

    def string(index):
        value = at("string_table", index)
        return "" if value is None else value

    def stack(index):
        entry = at("stack_table", index)
        frames = []
        for location_index in (entry.location_indices if entry else []):
            location = at("location_table", location_index)
            for line in (location.lines if location else []):
                function = at("function_table", line.function_index)
                frames.append(string(function.name_strindex) if function else "")
        return list(reversed(frames))

    def link(index):
        entry = at("link_table", index)
        return None if not index or entry is None else {"trace_id": entry.trace_id.hex(), "span_id": entry.span_id.hex()}

    def attributes_of(indices):
        result = {}
        for index in indices:
            entry = at("attribute_table", index)
            if entry is not None:
                result[string(entry.key_strindex)] = any_value(entry.value)
        return result

    entries = []
    for resource_profiles in request.resource_profiles:
        resource_attributes = attributes(resource_profiles.resource.attributes)
        for scope_profiles in resource_profiles.scope_profiles:
            for profile in scope_profiles.profiles:
                entries.append({
                    "resource": resource_attributes,
                    "service_name": resource_attributes.get("service.name", {}).get("string", ""),
                    "scope_name": scope_profiles.scope.name,
                    "sample_type": {"type": string(profile.sample_type.type_strindex), "unit": string(profile.sample_type.unit_strindex)},
                    "period_type": {"type": string(profile.period_type.type_strindex), "unit": string(profile.period_type.unit_strindex)},
                    "period": profile.period,
                    "time_unix_nano": profile.time_unix_nano,
                    "duration_nano": profile.duration_nano,
                    "samples": [{"stack": stack(sample.stack_index), "values": list(sample.values),
                                 "link": link(sample.link_index), "attributes": attributes_of(sample.attribute_indices)}
                                for sample in profile.samples],
                    "mapping_files": sorted({string(m.filename_strindex) for m in list(table.mapping_table)[1:]}),
                    "dictionary": {"sizes": sizes, "duplicates": duplicates, "problems": sorted(set(problems))},
                    "transport": transport,
                    "headers": headers,
                })
    return entries


class ProfileStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.profiles = []

    def add(self, request, transport, headers):
        entries = profile_entries(request, transport, headers)
        with self.lock:
            self.profiles.extend(entries)

    def query(self, trace_id=None, service=None):
        with self.lock:
            profiles = list(self.profiles)
        if trace_id:
            profiles = [p for p in profiles if any((s["link"] or {}).get("trace_id") == trace_id.lower() for s in p["samples"])]
        if service:
            profiles = [p for p in profiles if p["service_name"] == service]
        return profiles


class ProfilesService(profiles_service_pb2_grpc.ProfilesServiceServicer):
    def __init__(self, store):
        self.store = store

    def Export(self, request, context):  # noqa: N802 - gRPC method name
        metadata = list(context.invocation_metadata())
        problem = profiles_version_problem([v for k, v in metadata if k.lower() == PROFILES_VERSION_KEY])
        if problem:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        self.store.add(request, "grpc", interesting_headers(metadata))
        return profiles_service_pb2.ExportProfilesServiceResponse()


def interesting_headers(pairs):
    return {k.lower(): v for k, v in pairs if k.lower() not in UNINTERESTING_HEADERS and not k.startswith(":")}


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, store):
        self.store = store

    def Export(self, request, context):  # noqa: N802 - gRPC method name
        metadata = list(context.invocation_metadata())
        # gRPC core decompresses before this point and hides grpc-encoding: compression is unknown here.
        self.store.add(request, "grpc", None, interesting_headers(metadata))
        return trace_service_pb2.ExportTraceServiceResponse()


def hex_ids_to_base64(document):
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping expects base64.

    Strict as the collector's pdata decoder: an id must be exactly 32 (trace) or 16 (span) hex digits
    ("traceId and spanId ... MUST be represented as case-insensitive hex-encoded strings",
    https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding); only a parent span id may be empty. Anything
    else (the base64 of protobuf's own JSON mapping among them) raises ValueError: the request is answered 400.
    """
    lengths = {"traceId": 32, "trace_id": 32, "spanId": 16, "span_id": 16, "parentSpanId": 16, "parent_span_id": 16}

    def convert(obj):
        for key, length in lengths.items():
            if key not in obj:
                continue
            value = obj[key]
            if value == "" and key in ("parentSpanId", "parent_span_id"):
                continue
            if not isinstance(value, str) or len(value) != length or any(c not in string.hexdigits for c in value):
                raise ValueError(f"{key} must be {length} hex digits, got {str(value)[:60]!r}")
            obj[key] = base64.b64encode(bytes.fromhex(value)).decode()

    for rs in document.get("resourceSpans", document.get("resource_spans", [])):
        for ss in rs.get("scopeSpans", rs.get("scope_spans", [])):
            for span in ss.get("spans", []):
                convert(span)
                for link in span.get("links", []):
                    convert(link)
    return document


def receive_profiles(handler, profile_store, body):
    """POST /v1development/profiles: the body already read (and still compressed as sent)."""
    problem = profiles_version_problem(handler.headers.get_all(PROFILES_VERSION_KEY) or [])
    if problem:
        handler.reply(400, problem)
        return
    if handler.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/x-protobuf":
        handler.reply(415, "profiles are accepted as application/x-protobuf")
        return
    try:
        if handler.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        request = profiles_service_pb2.ExportProfilesServiceRequest.FromString(body)
    except Exception as error:  # noqa: BLE001 - any decode failure is the client's
        handler.reply(400, f"cannot decode ExportProfilesServiceRequest: {error}")
        return
    profile_store.add(request, "http/protobuf", interesting_headers(handler.headers.items()))
    handler.reply(200, profiles_service_pb2.ExportProfilesServiceResponse().SerializeToString(), "application/x-protobuf")


def make_ingest_handler(store, profile_store):
    class IngestHandler(common.JSONHandler):
        def do_POST(self):  # noqa: N802
            path = urlparse(self.path).path
            body = self.read_body()
            if path == "/v1development/profiles":
                receive_profiles(self, profile_store, body)
                return
            if path != "/v1/traces":
                self.reply(404, "not found")
                return
            encoding = self.headers.get("Content-Encoding", "").lower()
            try:
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding not in ("", "identity"):
                    self.reply(415, f"unsupported Content-Encoding {encoding}")
                    return
            except (OSError, zlib.error, EOFError) as error:
                self.reply(400, f"bad {encoding} body: {error}")
                return
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            request = trace_service_pb2.ExportTraceServiceRequest()
            try:
                if content_type == "application/x-protobuf":
                    request.ParseFromString(body)
                    transport = "http/protobuf"
                elif content_type == "application/json":
                    json_format.ParseDict(hex_ids_to_base64(json.loads(body)), request, ignore_unknown_fields=True)
                    transport = "http/json"
                else:
                    self.reply(415, f"unsupported Content-Type {content_type or '(none)'}")
                    return
            except Exception as error:  # noqa: BLE001 - any decode failure is the client's
                self.reply(400, f"cannot decode ExportTraceServiceRequest: {error}")
                return
            store.add(request, transport, encoding == "gzip", interesting_headers(self.headers.items()))
            response = trace_service_pb2.ExportTraceServiceResponse()
            if transport == "http/json":
                self.reply(200, "{}", "application/json")
            else:
                self.reply(200, response.SerializeToString(), "application/x-protobuf")

    return IngestHandler


def make_query_handler(store, profile_store):
    class QueryHandler(common.JSONHandler):
        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/health":
                with store.lock:
                    self.reply_json(200, {"status": "ok", "spans": len(store.spans), "requests": len(store.requests)})
            elif url.path == "/spans":
                self.reply_json(200, store.query(query.get("trace_id"), query.get("name"), query.get("service")))
            elif url.path == "/profiles":
                self.reply_json(200, profile_store.query(query.get("trace_id"), query.get("service")))
            elif url.path == "/requests":
                with store.lock:
                    self.reply_json(200, list(store.requests))
            else:
                self.reply(404, "not found")

    return QueryHandler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpc-port", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--query-port", type=int, default=0)
    parser.add_argument("--out", help="append received spans as JSON lines to this file")
    common.add_common_arguments(parser)
    args = parser.parse_args()
    common.install_stop_handlers(args.exit_on_stdin_eof)

    store = Store(args.out)
    profile_store = ProfileStore()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(store), grpc_server)
    profiles_service_pb2_grpc.add_ProfilesServiceServicer_to_server(ProfilesService(profile_store), grpc_server)
    grpc_port = grpc_server.add_insecure_port(f"{common.LOOPBACK}:{args.grpc_port}")
    if grpc_port == 0:
        sys.exit(f"otlp_receiver: cannot bind gRPC port {args.grpc_port}")
    grpc_server.start()
    try:
        ingest = common.QuietServer((common.LOOPBACK, args.http_port), make_ingest_handler(store, profile_store))
        query = common.QuietServer((common.LOOPBACK, args.query_port), make_query_handler(store, profile_store))
    except OSError as error:
        sys.exit(f"otlp_receiver: cannot bind: {error}")
    common.serve_in_background(ingest)
    common.serve_in_background(query)
    http_port, query_port = ingest.server_address[1], query.server_address[1]
    common.announce({
        "grpc_port": grpc_port, "http_port": http_port, "query_port": query_port,
        "grpc_endpoint": f"http://{common.LOOPBACK}:{grpc_port}",
        "http_endpoint": f"http://{common.LOOPBACK}:{http_port}",
        "query_url": f"http://{common.LOOPBACK}:{query_port}",
        "pid": os.getpid(),
    })
    common.wait_for_stop()
    grpc_server.stop(grace=0.5)
    ingest.shutdown()
    query.shutdown()


if __name__ == "__main__":
    main()
