import Foundation
import Testing
import TestSupport

/// The `OTEL_*` settings as swift-otel would have mishandled them, end to end: hybrid-run's spans reach the OTLP
/// stand-in (or, for an endpoint that cannot be used, the command runs untouched), with one line per bad value.
@Suite struct OTelSettingsTests {
    /// The stand-in's OTLP/JSON path is as strict as a collector: hex ids pass, the base64 of protobuf's own JSON
    /// mapping (what swift-otel writes) is refused. Asked for http/json, hybrid-run exports all the same.
    @Test func spansArriveWithTheirIdsWhenOTLPJSONIsAskedFor() async throws {
        let receiver = try OTLPReceiver.shared
        let probe = HybridRunProcess.newTraceParent()
        let hexIDs = try await receiver.postTraces(Self.jsonRequest(traceID: probe.traceID, spanID: probe.spanID), contentType: "application/json")
        let base64IDs = try await receiver.postTraces(Self.jsonRequest(
            traceID: Data(hex: probe.traceID).base64EncodedString(), spanID: Data(hex: probe.spanID).base64EncodedString()), contentType: "application/json")
        #expect(hexIDs == 200)
        #expect(base64IDs == 400)
        #expect(try await receiver.waitForSpans(traceID: probe.traceID, count: 1).first?.spanID == probe.spanID)

        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "exit 3"], environment: HybridRunProcess.environment([
            "TRACEPARENT": parent.header, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.httpEndpoint.absoluteString,
        ]))
        #expect(result.status == 3)
        let root = try #require(try await receiver.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.parentSpanID == parent.spanID)
        #expect(root.transport == "http/protobuf")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: warning: OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported") == true)
    }

    /// A malformed entry costs only itself; the others, the auth header among them, are sent percent-decoded, and
    /// no value is ever printed.
    @Test func theAuthHeaderArrivesWhenAnotherEntryIsMalformed() async throws {
        let token = "t0ken-\(UUID().uuidString)"
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "true"], environment: try HybridRunProcess.tracedEnvironment([
            "TRACEPARENT": parent.header, "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20\(token),oops-\(token),x-team=perf",
        ]))
        #expect(result.status == 0)
        _ = try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1)
        let request = try #require(try await OTLPReceiver.shared.requests(traceID: parent.traceID).first)
        #expect(request.headers["authorization"] == "Bearer \(token)")
        #expect(request.headers["x-team"] == "perf")
        #expect(result.stderr == "hybrid-run: warning: OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value; not sent\n")
        #expect(!result.stderr.contains(token))
    }

    /// Each value swift-otel would refuse gets one line naming it; spans are exported and no line says they were
    /// dropped (swift-otel's own refusals were reported at exit as "spans dropped").
    @Test func eachBadValueIsOneWarningAndSpansAreStillExported() async throws {
        let bad = [
            "OTEL_TRACES_SAMPLER_ARG": "junk", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon", "OTEL_BSP_MAX_QUEUE_SIZE": "lots",
            "OTEL_BSP_SCHEDULE_DELAY": "0", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "0", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd",
            "OTEL_LOG_LEVEL": "loud", "OTEL_SDK_DISABLED": "maybe", "OTEL_RESOURCE_ATTRIBUTES": "env=dev,oops",
        ]
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "exit 4"], environment: try HybridRunProcess.tracedEnvironment(
            bad.merging(["TRACEPARENT": parent.header, "OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC"]) { _, new in new }))
        #expect(result.status == 4)
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.parentSpanID == parent.spanID)
        #expect(root.resource["env"]?.stringValue == "dev")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == bad.count, "\(result.stderr)")
        for key in bad.keys {
            #expect(lines.filter { $0.hasPrefix("hybrid-run: warning: \(key)") }.count == 1, "\(key): \(result.stderr)")
        }
        #expect(!result.stderr.contains("dropped"))
    }

    /// A port out of range crashed swift-otel (SIGILL, exit 132) or held exit for the shutdown bound: now one line,
    /// and the command's own status, whichever way the endpoint is given.
    @Test(arguments: [
        ("http/protobuf", "http://127.0.0.1:65536", false), ("grpc", "http://127.0.0.1:65536", false),
        ("grpc", "127.0.0.1:99999", false), ("http/protobuf", "http://127.0.0.1:65536", true),
    ])
    func anEndpointOutOfRangeIsOneLineAndTheCommandsStatus(protocolName: String, endpoint: String, asFlag: Bool) async throws {
        var environment = HybridRunProcess.environment(["OTEL_EXPORTER_OTLP_PROTOCOL": protocolName])
        var arguments = ["--", "sh", "-c", "echo \"$TRACEPARENT\"; exit 3"]
        if asFlag { arguments = ["--otlp-endpoint", endpoint] + arguments } else { environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint }
        let result = try await HybridRunProcess.run(arguments, environment: environment)
        #expect(result.status == 3)
        #expect(result.stdoutText.hasPrefix("00-"), "the command still gets the root span's context")
        #expect(result.stderr == "hybrid-run: warning: OTEL_EXPORTER_OTLP_ENDPOINT=\(endpoint): the port \(endpoint.split(separator: ":").last!) is not a number from 1 to 65535; spans will not be exported\n")
    }

    /// A minimal OTLP/JSON export request (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).
    static func jsonRequest(traceID: String, spanID: String) -> Data {
        Data("""
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-probe"}}]},
         "scopeSpans":[{"scope":{"name":"probe"},"spans":[{"traceId":"\(traceID)","spanId":"\(spanID)","parentSpanId":"",
         "name":"probe","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000001000"}]}]}]}
        """.utf8)
    }
}

extension Data {
    /// Bytes from an even number of hex digits.
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}
