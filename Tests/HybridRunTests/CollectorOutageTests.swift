import Foundation
import Testing
import TestSupport

/// A missing collector never hangs or slows the command: exit waits at most the 2 s bound.
@Suite struct CollectorOutageTests {
    /// 2 s bound plus start-up of a debug build on a busy 2-core machine.
    static let exitBound: Duration = .milliseconds(3500)

    @Test func collectorDown() async throws {
        let listener = try BlackHoleListener()
        listener.close()
        try await expectBoundedExit(endpoint: listener.hostAndPort)
    }

    @Test func collectorBlackHoled() async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        try await expectBoundedExit(endpoint: listener.hostAndPort)
    }

    @Test func boundIsConfigurable() async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        let result = try await HybridRunProcess.run(["--", "true"], environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": listener.hostAndPort, "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "300ms",
        ]))
        #expect(result.duration < .milliseconds(1800))
        #expect(result.stderr.contains("within 300ms"))
    }

    private func expectBoundedExit(endpoint: String) async throws {
        let started = Date()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "date +%s.%N; exit 4"], environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        ]))
        let childStart = try #require(Double(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(childStart - started.timeIntervalSince1970 < 1.0, "the command starts at once")
        #expect(result.status == 4)
        #expect(result.duration < Self.exitBound)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("hybrid-run: warning: spans not exported to http://\(endpoint)") == true)
    }
}
