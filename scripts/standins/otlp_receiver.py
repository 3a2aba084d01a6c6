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


def make_ingest_handler(store):
    class IngestHandler(common.JSONHandler):
        def do_POST(self):  # noqa: N802
            path = urlparse(self.path).path
            body = self.read_body()
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


def make_query_handler(store):
    class QueryHandler(common.JSONHandler):
        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/health":
                with store.lock:
                    self.reply_json(200, {"status": "ok", "spans": len(store.spans), "requests": len(store.requests)})
            elif url.path == "/spans":
                self.reply_json(200, store.query(query.get("trace_id"), query.get("name"), query.get("service")))
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
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(store), grpc_server)
    grpc_port = grpc_server.add_insecure_port(f"{common.LOOPBACK}:{args.grpc_port}")
    if grpc_port == 0:
        sys.exit(f"otlp_receiver: cannot bind gRPC port {args.grpc_port}")
    grpc_server.start()
    try:
        ingest = common.QuietServer((common.LOOPBACK, args.http_port), make_ingest_handler(store))
        query = common.QuietServer((common.LOOPBACK, args.query_port), make_query_handler(store))
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
