import Foundation
import TestSupport
import Testing

/// The guide's "Minimal Local Run" as it is written: the workload itself with `PYROSCOPE_ENABLE=true`, no
/// hybrid-run in the command. Run with the built products, against the stand-ins of scripts/test.sh.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct ProfilerHandOffTests {
    /// A service name of this test's own, to find its spans and profiles among the whole run's.
    static func uniqueService() -> String { "handoff-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The guide's variables, with its localhost:4317 and localhost:4040 being the stand-ins here; nothing
    /// else of the caller's telemetry settings.
    static func guideEnvironment(service: String, path: String? = nil) throws -> [String: String] {
        let otlp = try TestEnvironment.current.otlpGRPCEndpoint
        var environment = ProcessInfo.processInfo.environment.filter { variable, _ in
            !(variable.hasPrefix("OTEL_") || variable.hasPrefix("PYROSCOPE_") || variable.hasPrefix("HYBRID_")
                || ["TRACEPARENT", "TRACESTATE", "BAGGAGE"].contains(variable))
        }
        environment.merge([
            "PYROSCOPE_ENABLE": "true",
            "PYROSCOPE_TRACE_CORRELATION": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "\(try #require(otlp.host)):\(try #require(otlp.port))",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=\(service),env=dev",
            "PYROSCOPE_SERVER_ADDRESS": try TestEnvironment.current.pyroscopeURL.absoluteString,
        ]) { _, new in new }
        if let path { environment["PATH"] = path }
        return environment
    }

    /// A directory of the test's own, removed afterwards.
    static func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    /// The spans the OTLP stand-in holds for `service` once they include the generator's `generate` span.
    static func spans(of service: String) async throws -> [ReceivedSpan] {
        let receiver = try OTLPReceiver.shared
        return try await Poll.until(timeout: .seconds(20), "the spans of \(service)") {
            let spans = try await receiver.spans(serviceName: service)
            return spans.contains { $0.name == "generate" } ? spans : nil
        }
    }

    static func records(in file: URL) throws -> Int {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [Any]).count
    }

    /// Runs the guide's command with a copy of generator-otel in `directory`, beside whatever the test put
    /// there, and a `PATH` without hybrid-run; checks that it wrote its 5000 records and exited 0.
    static func runGeneratorCopy(in directory: URL, service: String) async throws -> RunResult {
        let generator = directory.appendingPathComponent("generator-otel")
        try FileManager.default.copyItem(at: try TestEnvironment.executable("generator-otel"), to: generator)
        let output = directory.appendingPathComponent("out.json")
        let result = try await ProcessRunner.run(
            generator, ["5000", output.path], environment: try guideEnvironment(service: service, path: "/usr/bin:/bin"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try records(in: output) == 5000)
        return result
    }

    @Test func theGuidesCommandProfilesTheGeneratorTaggedWithTheTraceOfItsSpans() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            let output = directory.appendingPathComponent("out.json")
            let result = try await ProcessRunner.run(
                try TestEnvironment.executable("generator-otel"), ["5000", output.path],
                environment: try Self.guideEnvironment(service: service))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try Self.records(in: output) == 5000)

            let spans = try await Self.spans(of: service)
            let generate = try #require(spans.first { $0.name == "generate" })
            let uploads = try await PyroscopeReceiver.shared.waitForUploads(app: service, labels: ["trace_id": generate.traceID])
            // hybrid-run's root span is the parent of the generator's own, and names the profile.
            let root = try #require(spans.first { $0.spanID == generate.parentSpanID })
            #expect(root.attributes["pyroscope.profile.id"]?.stringValue == root.spanID)
            #expect(uploads.allSatisfy { $0.labels?["root_span_id"] == root.spanID })
            let profiles = uploads.compactMap(\.profile)
            #expect(profiles.flatMap(\.mappingFiles).contains { $0.hasSuffix("/generator-otel") }, "the generator itself was sampled")
            #expect(profiles.flatMap(\.samples).allSatisfy { $0.labels["trace_id"] == generate.traceID })
        }
    }

    /// Already profiled by a hybrid-run up the parent chain (as in `hybrid-run -- make`, make → sh →
    /// generator-otel), the generator runs as it is: one root span, one series of profiles, not two.
    @Test func underHybridRunTheWorkloadIsNotHandedOffAgain() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            let output = directory.appendingPathComponent("out.json")
            let script = #""$0" 5000 "$1" && test -s "$1""#
            let result = try await ProcessRunner.run(
                try TestEnvironment.executable("hybrid-run"),
                ["--", "/bin/sh", "-c", script, try TestEnvironment.executable("generator-otel").path, output.path],
                environment: try Self.guideEnvironment(service: service))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try Self.records(in: output) == 5000)

            let spans = try await Self.spans(of: service)
            // Every process hybrid-run starts gets a root span with process.pid; the generator's spans have none.
            let roots = spans.filter { $0.attributes["process.pid"] != nil }
            #expect(roots.count == 1, "\(roots.map(\.name))")
            let root = try #require(roots.first)
            let uploads = try await PyroscopeReceiver.shared.waitForUploads(app: service)
            #expect(uploads.allSatisfy { $0.labels?["root_span_id"] == root.spanID })
            #expect(result.stderr.components(separatedBy: "hybrid-run: profile for trace").count == 2, "\(result.stderr)")
        }
    }

    /// A hybrid-run found under its name that runs under another one (a wrapper script) cannot make the
    /// workload hand off again and again: the hand-off happens once. The wrapper counts its calls and refuses
    /// a third, so that a loop, were there one, would end at once with its status.
    @Test func theHandOffHappensOnceEvenThroughAWrapper() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            try FileManager.default.copyItem(at: try TestEnvironment.executable("hybrid-run"), to: directory.appendingPathComponent("profiler"))
            let wrapper = directory.appendingPathComponent("hybrid-run")
            let calls = directory.appendingPathComponent("wrapper-calls")
            try """
                #!/bin/sh
                echo called >>'\(calls.path)'
                [ "$(wc -l <'\(calls.path)')" -le 2 ] || exit 99
                exec '\(directory.appendingPathComponent("profiler").path)' "$@"
                """.write(to: wrapper, atomically: true, encoding: .utf8)
            #expect(chmod(wrapper.path, 0o755) == 0)
            _ = try await Self.runGeneratorCopy(in: directory, service: service)
            #expect(try String(contentsOf: calls, encoding: .utf8) == "called\n")
            let spans = try await Self.spans(of: service)
            #expect(spans.filter { $0.attributes["process.pid"] != nil }.count == 1)
        }
    }

    @Test func withoutHybridRunOneLineSaysHowToGetProfilesAndTheRecordsAreWritten() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            let result = try await Self.runGeneratorCopy(in: directory, service: service)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 2, "\(result.stderr)")
            #expect(lines.first?.hasPrefix("generator-otel: warning: PYROSCOPE_ENABLE is true, but profiles come from hybrid-run") == true)
            #expect(lines.first?.contains("hybrid-run -- generator-otel") == true, "how to get profiles")
            #expect(lines.last?.hasPrefix("generator-otel: wrote 5000 records") == true)
        }
    }

    /// A hybrid-run that cannot be executed is said so in one line; the workload still runs, unprofiled.
    @Test func aHybridRunThatCannotStartLeavesTheWorkloadRunning() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            let broken = directory.appendingPathComponent("hybrid-run")
            try "neither ELF nor a script\n".write(to: broken, atomically: true, encoding: .utf8)
            #expect(chmod(broken.path, 0o755) == 0)
            let result = try await Self.runGeneratorCopy(in: directory, service: service)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 2, "\(result.stderr)")
            #expect(lines.first?.hasPrefix("generator-otel: warning: PYROSCOPE_ENABLE is true, but \(broken.path) cannot be started (Exec format error)") == true)
            #expect(lines.last?.hasPrefix("generator-otel: wrote 5000 records") == true)
        }
    }

    @Test func aValueThatIsNoBooleanIsNamedOnceAndNothingIsHandedOff() async throws {
        let service = Self.uniqueService()
        try await Self.withDirectory { directory in
            var environment = try Self.guideEnvironment(service: service)
            environment["PYROSCOPE_ENABLE"] = "maybe"
            let result = try await ProcessRunner.run(
                try TestEnvironment.executable("loader-otel"), ["postgres://unused", directory.appendingPathComponent("none.jsonl").path],
                environment: environment)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first == "loader-otel: warning: PYROSCOPE_ENABLE=maybe is not a boolean (true/false, 1/0, yes/no, on/off); assuming false")
            #expect(lines.count == 2, "the warning, then the load's own error: \(result.stderr)")
            #expect(!result.stderr.contains("hybrid-run:"))
        }
    }
}
