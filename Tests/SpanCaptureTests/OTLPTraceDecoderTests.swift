import Foundation
import GzipCoding
@testable import SpanCapture
import Testing
import TestSupport
import TraceSpans

@Suite struct OTLPTraceDecoderTests {
    /// OTLP/HTTP JSON as the specification writes it: hex ids, integer enums, 64-bit integers as strings.
    static let json = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"loader"}},
          {"key":"process.pid","value":{"intValue":"4242"}}]},
          "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
          "parentSpanId":"EEE19B7EC3C1B173","name":"load","kind":1,"startTimeUnixNano":"1544712660000000000",
          "endTimeUnixNano":1544712661000000000,"attributes":[{"key":"thread.id","value":{"intValue":7}}],"status":{"code":2}}]}]}]}
        """

    @Test func decodesJSON() {
        let spans = OTLPTraceDecoder.spans(in: OTLPBody(encoding: .http(contentType: "application/json", contentEncoding: ""), bytes: Array(Self.json.utf8)))
        #expect(spans == [TraceSpan(traceID: "5b8efff798038103d269b633813fc60c", spanID: "eee19b7ec3c1b174", parentSpanID: "eee19b7ec3c1b173",
                                       name: "load", serviceName: "loader", startTime: 1_544_712_660_000_000_000, endTime: 1_544_712_661_000_000_000,
                                       isError: true, processID: 4242, threadID: 7)])
        let gzipped = OTLPBody(encoding: .http(contentType: "application/json", contentEncoding: "gzip"), bytes: Gzip.compress(Array(Self.json.utf8)))
        #expect(OTLPTraceDecoder.spans(in: gzipped).count == 1)
    }

    /// Protobuf made by the official Python `opentelemetry-proto` package.
    @Test func decodesProtobufAsGRPCAndHTTPCarryIt() async throws {
        let script = """
            import sys
            from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
            r = trace_service_pb2.ExportTraceServiceRequest()
            rs = r.resource_spans.add()
            rs.resource.attributes.add(key="service.name").value.string_value = "generator"
            s = rs.scope_spans.add().spans.add()
            s.trace_id = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
            s.span_id = bytes.fromhex("b7ad6b7169203331")
            s.name = "generate"
            s.start_time_unix_nano = 1700000000000000000
            s.end_time_unix_nano = 1700000000500000000
            sys.stdout.write(r.SerializeToString().hex())
            """
        let result = try await ProcessRunner.run(try TestEnvironment.current.python, ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let hex = result.stdoutText
        let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
        let expected = [TraceSpan(traceID: "0af7651916cd43dd8448eb211c80319c", spanID: "b7ad6b7169203331", parentSpanID: "", name: "generate",
                                     serviceName: "generator", startTime: 1_700_000_000_000_000_000, endTime: 1_700_000_000_500_000_000, isError: false)]
        #expect(OTLPTraceDecoder.spans(in: OTLPBody(encoding: .grpc(compressed: false), bytes: bytes)) == expected)
        #expect(OTLPTraceDecoder.spans(in: OTLPBody(encoding: .grpc(compressed: true), bytes: Gzip.compress(bytes))) == expected)
        #expect(OTLPTraceDecoder.spans(in: OTLPBody(encoding: .http(contentType: "application/x-protobuf", contentEncoding: "gzip"), bytes: Gzip.compress(bytes))) == expected)
    }

    @Test func garbageYieldsNoSpans() {
        for body in [OTLPBody(encoding: .grpc(compressed: false), bytes: [0xff, 0xff, 0xff]), OTLPBody(encoding: .grpc(compressed: true), bytes: [1, 2, 3]),
                     OTLPBody(encoding: .http(contentType: "application/json", contentEncoding: ""), bytes: Array("[1,".utf8)),
                     OTLPBody(encoding: .http(contentType: "application/x-protobuf", contentEncoding: "br"), bytes: [1])] {
            #expect(OTLPTraceDecoder.spans(in: body).isEmpty)
        }
    }
}
