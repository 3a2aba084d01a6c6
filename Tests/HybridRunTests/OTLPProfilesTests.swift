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
        #expect(profiles.allSatisfy { $0.sampleType == .init(type: "cpu", unit: "nanoseconds") }, "no wall profile without --wall")
        #expect(profiles.allSatisfy { $0.dictionary.problems.isEmpty && $0.dictionary.duplicates.values.allSatisfy { $0 == 0 } })

        let total = samples.reduce(0) { $0 + ($1.values.first ?? 0) }
        let hot = samples.filter { $0.stack.contains("hot_three_quarters") }.reduce(0) { $0 + ($1.values.first ?? 0) }
        let otlpShare = 100 * Double(hot) / Double(max(total, 1))
        let pprofShare = try Self.cumulativeShare(of: "hot_three_quarters", inPprof: pprof.path)
        #expect(abs(otlpShare - pprofShare) <= 3, "OTLP \(otlpShare) %, pprof \(pprofShare) %")
        #expect(hot > 0, "the workload's hot function is in the OTLP profiles")
    }

    /// `--wall`: each request carries a `wall`/`nanoseconds` profile beside the CPU one, whose values add up to the
    /// pprof file's wall view of the same run (`go tool pprof -sample_index=wall`, an independent decoder); the
    /// idle thread, which only waited in `poll`, is in the wall profile and not in the CPU one.
    @Test func withWallEachRequestCarriesAWallProfileMatchingThePprofFile() async throws {
        let receiver = try OTLPReceiver.shared
        let service = Self.uniqueService()
        let pprof = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-wall-\(UUID().uuidString).pb.gz")
        defer { try? FileManager.default.removeItem(at: pprof) }
        let result = try await HybridRunProcess.run(
            ["--wall", "--profiles-exporter", "otlp", "--upload-interval", "1", "-o", pprof.path, "--", try Fixture.wallPhases(), "2"],
            environment: HybridRunProcess.environment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString, "OTEL_SERVICE_NAME": service,
            ]))
        #expect(result.status == 0, "\(result.stderr)")

        let pprofWall = try WallProfileTests.cumulativeWall(inPprof: pprof.path)
        let profiles = try await receiver.waitForProfiles(serviceName: service) { $0.contains { $0.sampleType.type == "wall" } }
        let wall = profiles.filter { $0.sampleType == .init(type: "wall", unit: "nanoseconds") }
        let cpu = profiles.filter { $0.sampleType == .init(type: "cpu", unit: "nanoseconds") }
        #expect(wall.count >= 2 && wall.count == cpu.count, "a wall profile beside each CPU one: \(profiles.map(\.sampleType))")
        #expect(wall.allSatisfy { $0.periodType == .init(type: "wall", unit: "nanoseconds") })
        #expect(profiles.allSatisfy { $0.dictionary.problems.isEmpty && $0.dictionary.duplicates.values.allSatisfy { $0 == 0 } })
        let wallSamples = wall.flatMap(\.samples)
        let cpuSamples = cpu.flatMap(\.samples)
        // The idle thread runs only to enter and leave `poll`, microseconds; but sampled by cgroup, a sample lands on
        // whichever thread runs when the cgroup's count runs out, so now and then one lands there (one in about 30
        // runs). Counting its seconds of waiting as CPU time would put all of its wall time there.
        let idleCPU = cpuSamples.filter { $0.stack.contains("idle_wait") }.reduce(0) { $0 + $1.values[0] }
        let idleWall = wallSamples.filter { $0.stack.contains("idle_wait") }.reduce(0) { $0 + $1.values[0] }
        #expect(idleWall > 0 && idleCPU * 100 < idleWall, "a stack only waited in is not CPU time: \(idleCPU) ns of CPU, \(idleWall) ns of wall")
        for function in ["idle_wait"] + WallProfileTests.phases {
            let otlp = Double(wallSamples.filter { $0.stack.contains(function) }.reduce(0) { $0 + $1.values[0] }) / 1e6
            let file = try #require(pprofWall[function], "\(function) in the pprof file's wall view")
            // The same nanoseconds: go tool pprof prints milliseconds with two decimals.
            #expect(abs(otlp - file) <= 0.02, "\(function): OTLP \(otlp) ms, pprof \(file) ms")
        }
    }

    /// A program that publishes its spans (OTEP 4947: generator-otel under its `write records` span): its samples
    /// link to the spans the OTLP trace stand-in received from it, not all to the root span; samples of threads that
    /// publish none (hybrid-run's own start of the child, the runtime's threads) keep the root span's link.
    @Test func samplesLinkToTheSpansTheirThreadsPublished() async throws {
        let receiver = try OTLPReceiver.shared
        let service = Self.uniqueService()
        let parent = HybridRunProcess.newTraceParent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-spans-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try await HybridRunProcess.run(
            ["--profiles-exporter", "otlp", "--rate", "500", "--", try TestEnvironment.executable("generator-otel").path, "200000", output.path],
            environment: HybridRunProcess.environment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString, "OTEL_SERVICE_NAME": service,
                "TRACEPARENT": parent.header,
            ]))
        #expect(result.status == 0, "\(result.stderr)")

        let spans = try await receiver.waitForSpans(traceID: parent.traceID) { spans in
            spans.contains { $0.parentSpanID == parent.spanID } && spans.contains { $0.name == "write records" }
        }
        let root = try #require(spans.first { $0.parentSpanID == parent.spanID })
        let write = try #require(spans.first { $0.name == "write records" })
        let samples = try await receiver.waitForProfiles(serviceName: service).flatMap(\.samples)
        let linked = samples.reduce(into: [String: Int64]()) { $0[$1.link?.spanID ?? "none", default: 0] += $1.values[0] }
        #expect(samples.allSatisfy { $0.link?.traceID == parent.traceID }, "\(linked)")
        #expect(Set(linked.keys).isSubset(of: Set(spans.map(\.spanID))), "every link names a span the trace stand-in received: \(linked)")
        #expect((linked[write.spanID] ?? 0) > 0, "samples under `write records` link to it: \(linked)")
        #expect(samples.filter { $0.link?.spanID == write.spanID }.allSatisfy { !$0.stack.isEmpty })
        #expect(linked[root.spanID] != nil, "samples outside the child's spans keep the root span: \(linked)")
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
