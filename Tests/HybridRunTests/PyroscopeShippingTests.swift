import Foundation
import ProfileExport
import Testing
import TestSupport

/// The guide's Quick Validation Checklist, automated against the OTLP and Pyroscope stand-ins: what they
/// decoded from the wire is what is checked.
@Suite struct PyroscopeShippingTests {
    /// A unique application name, so a test finds exactly its own uploads in the shared receiver.
    static func uniqueApplication() -> String { "test-\(UUID().uuidString.prefix(8).lowercased())" }

    /// A CPU-bound shell loop: a few hundred milliseconds of work in a process hybrid-run profiles.
    static let busyLoop = ["sh", "-c", "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done"]

    static func environment(application: String, server: URL, correlation: Bool = true, _ adding: [String: String] = [:]) throws -> [String: String] {
        try HybridRunProcess.tracedEnvironment([
            "PYROSCOPE_ENABLE": "true", "PYROSCOPE_TRACE_CORRELATION": correlation ? "true" : "false",
            "PYROSCOPE_SERVER_ADDRESS": server.absoluteString, "PYROSCOPE_APPLICATION_NAME": application,
        ].merging(adding) { _, new in new })
    }

    @Test func generatorProfilesCarryTheTraceIDOfItsSpans() async throws {
        let application = Self.uniqueApplication()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run(
            ["--rate", "250", "--", try TestEnvironment.executable("generator-otel").path, "60000", output.path],
            environment: try Self.environment(application: application, server: receiver.url))
        #expect(result.status == 0, "\(result.stderr)")

        let uploads = try await receiver.waitForUploads(app: application)
        let traceID = try #require(uploads.first?.labels?["trace_id"])
        let rootSpanID = try #require(uploads.first?.labels?["root_span_id"])
        #expect(uploads.allSatisfy { $0.labels?["trace_id"] == traceID && $0.labels?["root_span_id"] == rootSpanID })
        // Stored as the server stores a pprof upload: the service the query link asks for, a process_cpu profile.
        #expect(uploads.allSatisfy { $0.serviceName == application && $0.profileType == "process_cpu" }, "\(uploads.map(\.name))")

        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: traceID) { (spans: [ReceivedSpan]) in
            spans.contains { $0.serviceName == "hybrid-run" } && spans.contains { $0.serviceName == "generator-otel" }
        }
        let root = try #require(spans.first { $0.serviceName == "hybrid-run" })
        #expect(root.spanID == rootSpanID)
        #expect(root.attributes["pyroscope.profile.id"]?.stringValue == rootSpanID)
        #expect(spans.contains { $0.serviceName == "generator-otel" && $0.parentSpanID == root.spanID })
        let link = try #require(root.events.first { $0.name == "pyroscope.profile" }?.attributes["pyroscope.query.url"]?.stringValue)
        #expect(link.contains(traceID))
        #expect(result.stderr.contains(link))

        for upload in uploads {
            let from = try #require(upload.fromUnixNanos), until = try #require(upload.untilUnixNanos)
            #expect(from <= Int64(root.endTimeUnixNano) && until >= Int64(root.startTimeUnixNano), "the profile overlaps the span")
        }
        let profiles = uploads.compactMap(\.profile)
        let samples = profiles.flatMap(\.samples)
        // generator-otel publishes its active span (OTEP 4947): its samples carry its own spans' ids and names, the
        // rest (threads outside any span) the root span's.
        let generatorSpans = Dictionary(spans.filter { $0.serviceName == "generator-otel" }.map { ($0.spanID, $0.name) }) { first, _ in first }
        #expect(samples.allSatisfy { $0.labels["trace_id"] == traceID })
        #expect(samples.allSatisfy { $0.labels["span_id"] == rootSpanID || generatorSpans[$0.labels["span_id"] ?? ""] != nil },
                "\(Set(samples.compactMap { $0.labels["span_id"] })) vs \(generatorSpans)")
        #expect(samples.contains { generatorSpans[$0.labels["span_id"] ?? ""] != nil }, "no sample in a generator-otel span")
        #expect(samples.allSatisfy { sample in sample.labels["span_name"].map { $0 == generatorSpans[sample.labels["span_id"] ?? ""] } ?? true })
        #expect(samples.allSatisfy { $0.labels["thread"] == nil }, "thread names would multiply Pyroscope's series")
        #expect(profiles.allSatisfy { $0.sampleTypes.contains(.init(type: "cpu", unit: "nanoseconds")) })
        // 250 Hz is a 4 ms period on average (perf events draw theirs around it against aliasing: each sample
        // stands for its own); the counts are the CPU time in periods, the rounding carried from stack to stack.
        #expect(profiles.allSatisfy { $0.period == 4_000_000 }, "\(profiles.map(\.period))")
        for profile in profiles {
            let cpu = try #require(profile.sampleTypes.firstIndex(of: .init(type: "cpu", unit: "nanoseconds")))
            let count = try #require(profile.sampleTypes.firstIndex(of: .init(type: "samples", unit: "count")))
            #expect(profile.samples.allSatisfy { $0.values[cpu] > 0 })
            let periods = profile.samples.reduce(Int64(0)) { $0 + $1.values[count] * profile.period }
            #expect(abs(periods - profile.samples.reduce(Int64(0)) { $0 + $1.values[cpu] }) <= profile.period, "counts add up to the CPU time")
        }
        let functions = profiles.reduce(into: Set<String>()) { $0.formUnion($1.functionNames) }
        #expect(functions.contains { $0.contains("OrderJSONWriter") || $0.contains("OrderGenerator") }, "the generator's own Swift functions")
        #expect(!functions.contains { $0.hasPrefix("$s") || $0.hasPrefix("_$s") }, "Swift names are demangled")
    }

    @Test func withoutCorrelationTheTagsAreAbsent() async throws {
        let application = Self.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--rate", "500", "--"] + Self.busyLoop,
                                                    environment: try Self.environment(application: application, server: receiver.url, correlation: false, ["TRACEPARENT": parent.header]))
        #expect(result.status == 0)
        let uploads = try await receiver.waitForUploads(app: application)
        #expect(uploads.allSatisfy { $0.labels?["trace_id"] == nil && $0.labels?["root_span_id"] == nil })
        #expect(uploads.compactMap(\.profile).flatMap(\.samples).allSatisfy { $0.labels["span_id"] == nil && $0.labels["trace_id"] == nil })
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.attributes["pyroscope.profile.id"] == nil)
    }

    @Test func withTracingDisabledCorrelationIsOmittedGracefully() async throws {
        let application = Self.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run(["--rate", "500", "--"] + Self.busyLoop,
                                                    environment: try Self.environment(application: application, server: receiver.url, ["OTEL_SDK_DISABLED": "true"]))
        #expect(result.status == 0)
        let uploads = try await receiver.waitForUploads(app: application)
        #expect(uploads.allSatisfy { $0.labels?["trace_id"] == nil })
    }

    @Test func sendsTenantAuthAndTagsAndDropsAnInvalidTag() async throws {
        let application = Self.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run(["--rate", "500", "--tag", "team=perf", "--tag", "bad-name=x", "--"] + Self.busyLoop,
                                                    environment: try Self.environment(application: application, server: receiver.url, [
                                                        "PYROSCOPE_TENANT_ID": "team-a", "PYROSCOPE_TAGS": "env=ci",
                                                        "PYROSCOPE_BASIC_AUTH_USER": "alice", "PYROSCOPE_BASIC_AUTH_PASSWORD": "s3cr3t-pw",
                                                    ]))
        #expect(result.status == 0)
        let upload = try #require(try await receiver.waitForUploads(app: application).first)
        #expect(upload.tenant == "team-a")
        #expect(upload.auth?.scheme == "basic" && upload.auth?.user == "alice" && upload.auth?.passwordPresent == true)
        #expect(upload.labels?["team"] == "perf")
        #expect(upload.labels?["env"] == "ci")
        #expect(upload.labels?["bad-name"] == nil)
        #expect(result.stderr.contains("bad-name"))
        #expect(!result.stderr.contains("s3cr3t-pw"))
        let everything = try await receiver.uploads(app: application, includeRejected: true)
        #expect(everything.allSatisfy { $0.status == 200 }, "the invalid tag is never sent to be rejected")
    }

    @Test func aServerErrorIsRetriedAndTheProfileArrivesOnce() async throws {
        try await PyroscopeReceiver.withDedicated(responses: [500]) { receiver in
            let application = Self.uniqueApplication()
            let result = try await HybridRunProcess.run(["--rate", "500", "--"] + Self.busyLoop,
                                                        environment: try Self.environment(application: application, server: receiver.url))
            #expect(result.status == 0)
            let attempts = try await receiver.uploads(includeRejected: true)
            #expect(attempts.map(\.status) == [500, 200])
            #expect(try await receiver.uploads(app: application).count == 1)
        }
    }

    @Test func aValidationErrorIsNotRetried() async throws {
        try await PyroscopeReceiver.withDedicated(responses: [422]) { receiver in
            let result = try await HybridRunProcess.run(["--rate", "500", "--"] + Self.busyLoop,
                                                        environment: try Self.environment(application: Self.uniqueApplication(), server: receiver.url))
            #expect(result.status == 0)
            #expect(try await receiver.uploads(includeRejected: true).count == 1)
            #expect(result.stderr.split(separator: "\n").filter { $0.contains("with 422") }.count == 1, "\(result.stderr)")
        }
    }

    @Test(arguments: ["down", "black-holed"])
    func anUnreachableServerNeverHoldsUpTheExit(kind: String) async throws {
        let closed = try ClosedPort()
        let listener = try BlackHoleListener()
        defer {
            listener.close()
            withExtendedLifetime(closed) {}
        }
        let server = kind == "down" ? closed.url : listener.url
        let result = try await HybridRunProcess.run(["--rate", "500", "--", "sh", "-c", Self.busyLoop[2] + "; date +%s.%N; exit 6"],
                                                    environment: try Self.environment(application: Self.uniqueApplication(), server: server, ["OTEL_SDK_DISABLED": "true"]))
        let exited = Date().timeIntervalSince1970
        #expect(result.status == 6)
        let commandEnded = try #require(Double(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(exited - commandEnded < 3.8, "exit waits at most 3 s for Pyroscope (plus process start-up and exit under load)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("Pyroscope") }
        #expect(warnings.count == 1, "one line for the one failed profile: \(result.stderr)")
        #expect(warnings.first?.hasPrefix("hybrid-run: warning: 0 profiles delivered to Pyroscope, 1 failed (first: ") == true, "\(result.stderr)")
    }

    @Test func aLongRunIsUploadedEveryIntervalAndTheUploadsAddUp() async throws {
        let application = Self.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).pb.gz")
        defer { try? FileManager.default.removeItem(at: summary) }
        let result = try await HybridRunProcess.run(["--upload-interval", "1", "-o", summary.path, "--", "timeout", "3.5", "sh", "-c", "while :; do :; done"],
                                                    environment: try Self.environment(application: application, server: receiver.url))
        #expect(result.status == 124)
        let run = try PprofReader.read(Array(try Data(contentsOf: summary))).profile
        let recorded = run.processes.flatMap(\.threads).flatMap(\.stacks).reduce(Int64(0)) { $0 + $1.cpuTime }
        let uploads = try await receiver.waitForUploads(app: application, count: 3)
        let profiles = uploads.compactMap(\.profile)
        let uploaded = try profiles.reduce(Int64(0)) { total, profile in
            let cpu = try #require(profile.sampleTypes.firstIndex(of: .init(type: "cpu", unit: "nanoseconds")))
            return total + profile.samples.reduce(0) { $0 + $1.values[cpu] }
        }
        #expect(uploads.count >= 3)
        #expect(recorded > 500_000_000, "3.5 s of a busy loop, on a machine that may give it a fraction of a CPU")
        #expect(uploaded == recorded, "every nanosecond of the run's CPU time in exactly one upload")
    }
}

extension PyroscopeShippingTests {
    /// Pyroscope refuses a series of more than 30 label names, counting the ones it and hybrid-run add
    /// (`__name__`, `__delta__`, `pyroscope_spy`, `service_name`, the sample label `process`, `trace_id`,
    /// `root_span_id`): 27 or more tags had every profile refused with 422. The first 23 are kept, one warning
    /// says how many were left out, and the profile arrives.
    @Test func fortyTagsKeepTheFirstOnesAndTheProfileArrives() async throws {
        let application = Self.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let tags = (0..<40).map { "tag\($0)=v\($0)" }.joined(separator: ",")
        let result = try await HybridRunProcess.run(["--rate", "500", "--"] + Self.busyLoop,
                                                    environment: try Self.environment(application: application, server: receiver.url, ["PYROSCOPE_TAGS": tags]))
        #expect(result.status == 0)
        let uploads = try await receiver.waitForUploads(app: application)
        let labels = try #require(uploads.first?.labels)
        #expect(Set(labels.keys) == Set((0..<23).map { "tag\($0)" } + ["trace_id", "root_span_id"]))
        #expect(try await receiver.uploads(app: application, includeRejected: true).allSatisfy { $0.status == 200 })
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("tags left out") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.contains("17 of the 40 tags left out, from tag23=v23 on") == true, "\(result.stderr)")
    }
}
