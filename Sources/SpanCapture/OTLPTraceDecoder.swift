import Foundation
import GzipCoding
import OTLPProto
import SwiftProtobuf
import TraceSpans

/// The spans in an OTLP trace export request, in any of the three encodings the OTLP specification defines:
/// gRPC and HTTP carry `ExportTraceServiceRequest` as protobuf, HTTP may carry it as JSON (the protobuf JSON
/// mapping, except that trace and span ids are hex strings and enums integers: OTLP 1.x, "JSON Protobuf Encoding").
///
/// A body that does not decode yields no spans: what a child sends must never break the run.
enum OTLPTraceDecoder {
    static func spans(in body: OTLPBody) -> [TraceSpan] {
        switch body.encoding {
        case .grpc(let compressed):
            guard let bytes = compressed ? try? Gzip.decompress(body.bytes, limit: OTLPRelay.copyLimit) : body.bytes else { return [] }
            return protobufSpans(bytes)
        case .http(let contentType, let contentEncoding):
            let bytes: [UInt8]
            switch contentEncoding.lowercased() {
            case "", "identity": bytes = body.bytes
            case "gzip": guard let inflated = try? Gzip.decompress(body.bytes, limit: OTLPRelay.copyLimit) else { return [] }
                bytes = inflated
            default: return []
            }
            return contentType.lowercased().hasPrefix("application/json") ? jsonSpans(bytes) : protobufSpans(bytes)
        }
    }

    static func protobufSpans(_ bytes: [UInt8]) -> [TraceSpan] {
        guard let request = try? Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest(serializedBytes: bytes) else { return [] }
        var result: [TraceSpan] = []
        for resourceSpans in request.resourceSpans {
            let resource = Dictionary(resourceSpans.resource.attributes.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            let service = resource["service.name"]?.stringValue ?? ""
            let pid = resource["process.pid"].flatMap { $0.hasIntValue ? Int32(exactly: $0.intValue) : nil }
            for scopeSpans in resourceSpans.scopeSpans {
                for span in scopeSpans.spans {
                    let thread = span.attributes.first { $0.key == "thread.id" }?.value
                    result.append(TraceSpan(
                        traceID: hex(span.traceID), spanID: hex(span.spanID), parentSpanID: hex(span.parentSpanID),
                        name: span.name, serviceName: service,
                        startTime: Int64(clamping: span.startTimeUnixNano), endTime: Int64(clamping: span.endTimeUnixNano),
                        isError: span.status.code == .error, processID: pid,
                        threadID: thread.flatMap { $0.hasIntValue ? Int32(exactly: $0.intValue) : nil }))
                }
            }
        }
        return result
    }

    static func jsonSpans(_ bytes: [UInt8]) -> [TraceSpan] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return [] }
        var result: [TraceSpan] = []
        for resourceSpans in root["resourceSpans"] as? [[String: Any]] ?? [] {
            let resource = attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
            let service = resource["service.name"]?["stringValue"] as? String ?? ""
            let pid = integer(resource["process.pid"]?["intValue"]).flatMap { Int32(exactly: $0) }
            for scopeSpans in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scopeSpans["spans"] as? [[String: Any]] ?? [] {
                    let status = span["status"] as? [String: Any]
                    let thread = integer(attributes(span["attributes"])["thread.id"]?["intValue"]).flatMap { Int32(exactly: $0) }
                    result.append(TraceSpan(
                        traceID: (span["traceId"] as? String ?? "").lowercased(), spanID: (span["spanId"] as? String ?? "").lowercased(),
                        parentSpanID: (span["parentSpanId"] as? String ?? "").lowercased(), name: span["name"] as? String ?? "",
                        serviceName: service, startTime: integer(span["startTimeUnixNano"]) ?? 0, endTime: integer(span["endTimeUnixNano"]) ?? 0,
                        isError: integer(status?["code"]) == 2, processID: pid, threadID: thread))
                }
            }
        }
        return result
    }

    /// `[{"key": k, "value": {...}}]` as a dictionary of values.
    private static func attributes(_ list: Any?) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for entry in list as? [[String: Any]] ?? [] {
            if let key = entry["key"] as? String, let value = entry["value"] as? [String: Any] { result[key] = value }
        }
        return result
    }

    /// The JSON mapping writes 64-bit integers as strings or numbers.
    private static func integer(_ value: Any?) -> Int64? {
        if let text = value as? String { return Int64(text) }
        if let number = value as? NSNumber { return number.int64Value }
        return nil
    }

    private static func hex(_ bytes: Data) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

extension Opentelemetry_Proto_Common_V1_AnyValue {
    var hasIntValue: Bool {
        if case .intValue? = value { return true }
        return false
    }
}
