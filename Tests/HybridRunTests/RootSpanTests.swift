import Foundation
import Testing
import TestSupport

/// What the OTLP stand-in actually received for hybrid-run's root span.
@Suite struct RootSpanTests {
    @Test func continuesAnIncomingTraceAndRecordsTheProcess() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let process = try RunningProcess(try HybridRunProcess.executable,
                                         ["--attr", "team=perf", "--", "sh", "-c", "echo $$ $TRACEPARENT; exit 3", "ignored-arg0", "postgres://u:hunter2@db/app"],
                                         environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "TRACESTATE": "vendor=abc", "BAGGAGE": "user=1"]))
        let result = try await process.wait(timeout: .seconds(30))
        #expect(result.status == 3)
        let printed = result.stdoutText.split(separator: " ").map { String($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let childPID = try #require(Int64(printed[0]))
        let childTraceParent = printed[1].split(separator: "-").map(String.init)

        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1)
        let root = try #require(spans.first)
        #expect(spans.count == 1)
        #expect(root.parentSpanID == parent.spanID)
        #expect(root.name == "sh")
        #expect(root.serviceName == "hybrid-run")
        #expect(childTraceParent[1] == parent.traceID)
        #expect(childTraceParent[2] == root.spanID)
        #expect(root.attributes["process.pid"]?.intValue == childPID)
        #expect(root.attributes["process.parent_pid"]?.intValue == Int64(process.pid))
        #expect(root.attributes["process.executable.name"]?.stringValue == "sh")
        #expect(root.attributes["process.exit.code"]?.intValue == 3)
        #expect(root.attributes["error.type"]?.stringValue == "3")
        #expect(root.status.code == "error")
        #expect(root.attributes["team"]?.stringValue == "perf")
        let arguments = try #require(root.attributes["process.command_args"]?.stringArrayValue)
        #expect(arguments.first == "sh")
        #expect(arguments.count == 5)
        #expect(!arguments.joined().contains("hunter2"))
    }

    /// Every convention README's "What is masked" lists, as arguments and `--attr` values.
    @Test func commandArgumentsAndAttributesCarryNoSecret() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let arguments = ["env", "AWS_SECRET_ACCESS_KEY=hunter2-1", "GITHUB_TOKEN=hunter2-2", "DB_PASSWORD=hunter2-3", "sh", "-c", "exit 0", "sh",
                         "--password", "hunter2-4", "--token=hunter2-5", "--api-key", "hunter2-6", "-H", "Authorization: Bearer hunter2-7",
                         "https://h/?token=hunter2-8&api_key=hunter2-9&access_token=hunter2-10", "u:hunter2-11@db:5432", "-u", "alice:hunter2-12", "-p", "5432"]
        let result = try await HybridRunProcess.run(["--attr", "api_key=hunter2-13", "--attr", "db.url=postgres://u:hunter2-14@db/app", "--"] + arguments,
                                                    environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header]))
        #expect(result.status == 0, "\(result.stderr)")
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        let shown = try #require(root.attributes["process.command_args"]?.stringArrayValue)
        #expect(shown == ["env", "AWS_SECRET_ACCESS_KEY=***", "GITHUB_TOKEN=***", "DB_PASSWORD=***", "sh", "-c", "exit 0", "sh",
                          "--password", "***", "--token=***", "--api-key", "***", "-H", "Authorization: Bearer ***",
                          "https://h/?token=***&api_key=***&access_token=***", "u:***@db:5432", "-u", "alice:***", "-p", "5432"])
        #expect(root.attributes["api_key"]?.stringValue == "***")
        #expect(root.attributes["db.url"]?.stringValue == "postgres://u:***@db/app")
        #expect(root.attributes.filter { $0.value.description.contains("hunter2") }.isEmpty, "\(root.attributes)")
    }

    @Test func passesTracestateAndBaggageOnWhileReplacingTraceparent() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo \"$TRACEPARENT|$TRACESTATE|$BAGGAGE\""],
                                                    environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "TRACESTATE": "vendor=abc", "BAGGAGE": "user=1"]))
        let fields = result.stdoutText.trimmingCharacters(in: .newlines).split(separator: "|", omittingEmptySubsequences: false)
        #expect(fields.count == 3)
        #expect(fields[0] != Substring(parent.header))
        #expect(fields[0].hasPrefix("00-\(parent.traceID)-"))
        #expect(fields[1] == "vendor=abc")
        #expect(fields[2] == "user=1")
    }

    /// W3C: "failure to parse tracestate MUST NOT affect the parsing of traceparent". A bad TRACESTATE is one line;
    /// the root span continues the caller's trace and the command gets no TRACESTATE.
    @Test(arguments: ["!!!", "vendor=" + String(repeating: "x", count: 10_240), "vendor=abc\nhybrid-run: forged"])
    func keepsTheParentWhenTheTracestateIsInvalid(_ state: String) async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo \"$TRACEPARENT|${TRACESTATE-unset}\""],
                                                    environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "TRACESTATE": state]))
        #expect(result.status == 0)
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.parentSpanID == parent.spanID)
        #expect(root.traceState == "")
        #expect(result.stdoutText == "00-\(parent.traceID)-\(root.spanID)-01|unset\n")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: warning: TRACESTATE=") == true)
        #expect(lines.first.map { $0.count < 400 } == true)
        #expect(!result.stderr.contains("dropped ("), "no false export failure")
    }

    @Test func passesOnAValidTracestateAndRecordsIt() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo \"$TRACESTATE\""],
                                                    environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "TRACESTATE": " rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE"]))
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.traceState.replacingOccurrences(of: " ", with: "") == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        #expect(result.stdoutText.replacingOccurrences(of: " ", with: "") == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\n")
        #expect(result.stderr.isEmpty)
    }

    /// W3C "Versioning of traceparent": a higher version is read by the version-00 layout, extra fields ignored,
    /// and the command gets version 00.
    @Test func continuesAHigherVersionTraceparent() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let future = "01" + String(parent.header.dropFirst(2)) + "-some-future-field"
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo $TRACEPARENT"], environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": future]))
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.parentSpanID == parent.spanID)
        #expect(result.stdoutText == "00-\(parent.traceID)-\(root.spanID)-01\n")
        #expect(result.stderr.isEmpty)
    }

    /// A tracestate belongs to its traceparent: with an invalid TRACEPARENT the command gets neither, traced or not.
    @Test(arguments: ["false", "true"])
    func theCommandGetsNoTracestateOfAnInvalidTraceparent(sdkDisabled: String) async throws {
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo \"${TRACEPARENT-unset}|${TRACESTATE-unset}\""],
                                                    environment: try HybridRunProcess.tracedEnvironment([
                                                        "TRACEPARENT": "garbage", "TRACESTATE": "vendor=abc", "OTEL_SDK_DISABLED": sdkDisabled,
                                                    ]))
        let fields = result.stdoutText.trimmingCharacters(in: .newlines).split(separator: "|")
        #expect(fields.last == "unset")
        #expect(sdkDisabled == "true" ? fields.first == "unset" : fields.first?.hasPrefix("00-") == true)
    }

    @Test func withTracingOffTheCallersValidContextPassesOnAsGiven() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo \"$TRACEPARENT|$TRACESTATE\""],
                                                    environment: HybridRunProcess.environment([
                                                        "TRACEPARENT": parent.header, "TRACESTATE": "rojo=1, congo=2", "OTEL_SDK_DISABLED": "true",
                                                    ]))
        #expect(result.stdoutText == "\(parent.header)|rojo=1, congo=2\n")
    }

    @Test func startsANewTraceWithoutAnIncomingOne() async throws {
        let result = try await HybridRunProcess.run(["--span-name", "nightly-job", "--", "sh", "-c", "echo $TRACEPARENT"], environment: try HybridRunProcess.tracedEnvironment())
        let fields = result.stdoutText.trimmingCharacters(in: .newlines).split(separator: "-").map(String.init)
        #expect(fields.count == 4)
        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: fields[1], count: 1)
        #expect(spans.first?.spanID == fields[2])
        #expect(spans.first?.parentSpanID == "")
        #expect(spans.first?.name == "nightly-job")
        #expect(spans.first?.status.code != "error")
        #expect(spans.first?.attributes["process.exit.code"]?.intValue == 0)
    }

    @Test func takesServiceNameFromTheResourceAttributes() async throws {
        let parent = HybridRunProcess.newTraceParent()
        _ = try await HybridRunProcess.run(["--", "true"], environment: try HybridRunProcess.tracedEnvironment([
            "TRACEPARENT": parent.header, "OTEL_RESOURCE_ATTRIBUTES": "service.name=nightly-etl,env=dev",
        ]))
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.serviceName == "nightly-etl")
        #expect(root.resource["env"]?.stringValue == "dev")
    }

    @Test func exportsOverOTLPHTTPWhenAskedTo() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let endpoint = try TestEnvironment.current.otlpHTTPEndpoint.absoluteString
        _ = try await HybridRunProcess.run(["--", "true"], environment: HybridRunProcess.environment([
            "TRACEPARENT": parent.header, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        ]))
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.transport == "http/protobuf")
        #expect(root.parentSpanID == parent.spanID)
    }

    @Test func recordsTheSignalThatKilledTheCommand() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "kill -KILL $$"], environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header]))
        #expect(result.status == 137)
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.attributes["error.type"]?.stringValue == "SIGKILL")
        #expect(root.attributes["process.exit.code"]?.intValue == 137)
        #expect(root.status.code == "error")
    }

    @Test func addsCIConventionsInAKnownCISystem() async throws {
        let parent = HybridRunProcess.newTraceParent()
        _ = try await HybridRunProcess.run(["--", "true"], environment: try HybridRunProcess.tracedEnvironment([
            "TRACEPARENT": parent.header, "GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW": "perf", "GITHUB_RUN_ID": "77", "GITHUB_JOB": "profile",
        ]))
        let root = try #require(try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID, count: 1).first)
        #expect(root.attributes["cicd.pipeline.task.name"]?.stringValue == "profile")
        #expect(root.attributes["cicd.pipeline.task.run.result"]?.stringValue == "success")
        #expect(root.resource["cicd.pipeline.name"]?.stringValue == "perf")
        #expect(root.resource["cicd.pipeline.run.id"]?.stringValue == "77")
    }

    @Test func theGeneratorsSpansAreChildrenOfTheRootSpan() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try await HybridRunProcess.run(["--", try TestEnvironment.executable("generator-otel").path, "200", output.path],
                                                    environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header]))
        #expect(result.status == 0)
        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: parent.traceID) { (spans: [ReceivedSpan]) in
            spans.contains { $0.serviceName == "hybrid-run" } && spans.contains { $0.serviceName == "generator-otel" && $0.parentSpanID != "" }
        }
        let root = try #require(spans.first { $0.serviceName == "hybrid-run" })
        #expect(root.parentSpanID == parent.spanID)
        let generatorTop = spans.filter { $0.serviceName == "generator-otel" && $0.parentSpanID == root.spanID }
        #expect(generatorTop.count == 1)
        #expect(spans.allSatisfy { $0.traceID == parent.traceID })
    }

    @Test func withTracingDisabledTheIncomingContextPassesOnUnchanged() async throws {
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "echo $TRACEPARENT"], environment: HybridRunProcess.environment([
            "OTEL_SDK_DISABLED": "true", "TRACEPARENT": parent.header,
        ]))
        #expect(result.stdoutText == parent.header + "\n")
        #expect(result.stderr.isEmpty)
    }
}
