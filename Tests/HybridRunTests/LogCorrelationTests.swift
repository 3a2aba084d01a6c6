import Foundation
import Testing
import TestSupport

/// The guide's "trace links in logs": a program's log lines carry the trace and span of the work they describe.
@Suite struct LogCorrelationTests {
    @Test func jsonLogLinesCarryTheTraceIDOfTheRun() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try await ProcessRunner.run(try TestEnvironment.executable("generator-otel"), ["50", output.path],
                                                 environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "HYBRID_LOG_FORMAT": "json"]))
        #expect(result.status == 0)
        let lines = try result.stderr.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        }
        let summary = try #require(lines.first { $0["level"] == "info" })
        #expect(summary["program"] == "generator-otel")
        #expect(summary["trace_id"] == parent.traceID)
        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1)
        #expect(spans.contains { $0.spanID == summary["span_id"] })
    }
}
