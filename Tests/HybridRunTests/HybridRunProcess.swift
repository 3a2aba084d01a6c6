import Foundation
import TestSupport

/// Runs the built `hybrid-run` the way a user does, with an environment free of the caller's telemetry settings.
enum HybridRunProcess {
    static var executable: URL { get throws { try TestEnvironment.executable("hybrid-run") } }

    /// This process's environment without OTEL_*, PYROSCOPE_*, HYBRID_LOG_* and trace context, plus `adding`.
    static func environment(_ adding: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment.keys.filter {
            $0.hasPrefix("OTEL_") || $0.hasPrefix("PYROSCOPE_") || $0.hasPrefix("HYBRID_LOG") || $0.hasPrefix("HYBRID_OTEL")
                || ["TRACEPARENT", "TRACESTATE", "BAGGAGE", "GITHUB_ACTIONS", "GITLAB_CI", "CI"].contains($0)
        }
        return ProcessRunner.environment(adding: adding, removing: inherited)
    }

    /// Telemetry off: for tests of the launcher itself, which must not wait on a collector.
    static let quietEnvironment = environment(["OTEL_SDK_DISABLED": "true"])

    /// Spans exported to the shared OTLP stand-in.
    static func tracedEnvironment(_ adding: [String: String] = [:]) throws -> [String: String] {
        environment(["OTEL_EXPORTER_OTLP_ENDPOINT": try TestEnvironment.current.otlpGRPCEndpoint.absoluteString].merging(adding) { _, new in new })
    }

    static func run(_ arguments: [String], environment: [String: String] = quietEnvironment, stdin: [UInt8]? = nil) async throws -> RunResult {
        try await ProcessRunner.run(try executable, arguments, environment: environment, stdin: stdin, timeout: .seconds(60))
    }

    /// A fresh W3C traceparent, so a test finds exactly its own spans in the shared receiver.
    static func newTraceParent() -> (header: String, traceID: String, spanID: String) {
        let traceID = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let spanID = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
        return ("00-\(traceID)-\(spanID)-01", traceID, spanID)
    }
}
