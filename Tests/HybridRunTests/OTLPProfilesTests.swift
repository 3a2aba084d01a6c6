import Foundation
import ProfilerTestSupport
import Testing
import TestSupport

/// `--profiles-exporter otlp` end to end: a workload with a known hot function, its profiles as the OTLP stand-in
/// decoded them (official generated code), checked against the pprof file of the same run and the run's spans.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct OTLPProfilesTests {
    static func uniqueService() -> String { "otlp-\(UUID().uuidString.prefix(8).lowercased())" }

    @Test(arguments: ["grpc", "http/protobuf"])
    func theHotFunctionHasItsShareLinkedToTheRootSpan(transport: String) async throws {
        let receiver = try OTLPReceiver.shared
        let service = Self.uniqueService()
        let parent = HybridRunProcess.newTraceParent()
        let pprof = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString).pb.gz")
        defer { try? FileManager.default.removeItem(at: pprof) }
        let endpoint = transport == "grpc" ? receiver.grpcEndpoint : receiver.httpEndpoint
        let result = try await HybridRunProcess.run(
            ["--profiles-exporter", "otlp", "--rate", "250", "--upload-interval", "1", "-o", pprof.path, "--", try Fixture.workload(), "split", "2"],
            environment: HybridRunProcess.environment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint.absoluteString, "OTEL_EXPORTER_OTLP_PROTOCOL": transport,
                "OTEL_SERVICE_NAME": service, "TRACEPARENT": parent.header,
            ]))
        #expect(result.status == 0, "\(result.stderr)")

        let root = try #require(try await receiver.waitForSpans(traceID: parent.traceID, count: 1).first { $0.parentSpanID == parent.spanID })
        let profiles = try await receiver.waitForProfiles(serviceName: service)
        #expect(profiles.count >= 2, "a window every second of a 2 s run, and the last one")
        #expect(profiles.allSatisfy { $0.transport == transport && $0.headers["otlp-profiles-development-version"] == "1" })
        #expect(profiles.allSatisfy { $0.resource == root.resource }, "the spans' resource")
        let samples = profiles.flatMap(\.samples)
        #expect(samples.allSatisfy { !$0.stack.isEmpty }, "no sample without a stack")
        #expect(samples.allSatisfy { $0.link == .init(traceID: parent.traceID, spanID: root.spanID) }, "every sample links to the root span")
        #expect(profiles.allSatisfy { $0.dictionary.problems.isEmpty && $0.dictionary.duplicates.values.allSatisfy { $0 == 0 } })

        let total = samples.reduce(0) { $0 + ($1.values.first ?? 0) }
        let hot = samples.filter { $0.stack.contains("hot_three_quarters") }.reduce(0) { $0 + ($1.values.first ?? 0) }
        let otlpShare = 100 * Double(hot) / Double(max(total, 1))
        let pprofShare = try Self.cumulativeShare(of: "hot_three_quarters", inPprof: pprof.path)
        #expect(abs(otlpShare - pprofShare) <= 3, "OTLP \(otlpShare) %, pprof \(pprofShare) %")
        #expect(hot > 0, "the workload's hot function is in the OTLP profiles")
    }

    @Test func aCollectorThatIsDownDelaysExitByTheBoundWithOneLine() async throws {
        let listener = try BlackHoleListener()
        listener.close()
        let result = try await HybridRunProcess.run(["--profiles-exporter", "otlp", "--", "sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; date +%s.%N"],
                                                    environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT": listener.url.absoluteString, "OTEL_TRACES_EXPORTER": "none",
        ]))
        let exited = Date().timeIntervalSince1970
        #expect(result.status == 0)
        let commandEnded = try #require(Double(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        // 2.5 s for the profiles, plus process start-up and exit on a loaded 2-core machine, as for Pyroscope.
        #expect(exited - commandEnded < 3.8)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: warning: OTLP profiles: ") == true, "\(result.stderr)")
        #expect(lines.first?.contains(listener.hostAndPort) == true, "\(result.stderr)")
    }

    /// `function`'s cumulative share in percent of a pprof file, as `go tool pprof -top -cum` reads it (an
    /// independent decoder of our pprof output).
    static func cumulativeShare(of function: String, inPprof path: String) throws -> Double {
        let output = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-top", "-cum", "-nodecount=1000", path])
        #expect(output.status == 0, "\(output.standardError)")
        let line = try #require(output.standardOutput.split(separator: "\n").first { $0.split(separator: " ").last == Substring(function) })
        // flat flat% sum% cum cum% name
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        return try #require(Double(columns[4].dropLast()))
    }
}
