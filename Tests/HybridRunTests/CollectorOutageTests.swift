import Foundation
import Testing
import TestSupport

/// A missing collector never hangs or slows the command: exit waits at most the 2 s bound.
@Suite struct CollectorOutageTests {
    /// The 2 s bound plus the exit of a debug build on a busy 2-core machine, counted from the command's end.
    static let exitDelayBound = 2.8

    @Test func collectorDown() async throws {
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        try await expectBoundedExit(endpoint: closed.hostAndPort)
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
        #expect(result.duration < .milliseconds(1800), "a 300 ms bound, not the default 2 s")
        #expect(result.stderr.contains("within 300ms"))
    }

    private func expectBoundedExit(endpoint: String) async throws {
        let started = Date().timeIntervalSince1970
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "date +%s.%N; exit 4"], environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        ]))
        let exited = Date().timeIntervalSince1970
        let commandRan = try #require(Double(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(commandRan - started < 1.0, "the command starts at once")
        #expect(result.status == 4)
        #expect(exited - commandRan < Self.exitDelayBound)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("hybrid-run: warning: spans not exported to http://\(endpoint)") == true)
    }
}
