import Foundation
@testable import HybridRun
import Logging
import ProfilerTestSupport
import Testing
import TestSupport

/// With `-o report.html`, the command's own spans reach the report through hybrid-run's relay and still reach
/// the collector; without a report the child's environment is untouched.
@Suite struct ChildSpanCaptureTests {
    /// The spans in a report page's data.
    static func reportSpans(_ path: String) throws -> [[String: Any]] {
        let page = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(page.range(of: #"<script id="report-data" type="application/json">"#))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let document = try JSONSerialization.jsonObject(with: Data(page[start.upperBound..<end.lowerBound].utf8)) as? [String: Any]
        return document?["spans"] as? [[String: Any]] ?? []
    }

    /// gRPC and HTTP/protobuf: what swift-otel's exporter speaks to the stand-in (its http/json export fails against
    /// the stand-in with or without hybrid-run; OTLPRelayTests relays a JSON export to it instead).
    @Test(arguments: ["grpc", "http/protobuf"])
    func theCommandsSpansAreInTheReportAndAtTheCollector(protocolName: String) async throws {
        let receiver = try OTLPReceiver.shared
        let parent = HybridRunProcess.newTraceParent()
        let directory = try ReportBrowser.outputDirectory("ChildSpanCaptureTests")
        let report = directory.appendingPathComponent("report-\(protocolName.replacingOccurrences(of: "/", with: "-")).html").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let endpoint = protocolName == "grpc" ? receiver.grpcEndpoint : receiver.httpEndpoint
        let result = try await HybridRunProcess.run(
            ["--rate", "500", "-o", report, "--", try TestEnvironment.executable("generator-otel").path, "3000", output.path],
            environment: HybridRunProcess.environment(["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint.absoluteString,
                                                       "OTEL_EXPORTER_OTLP_PROTOCOL": protocolName, "TRACEPARENT": parent.header]))
        #expect(result.status == 0, "\(result.stderr)")

        let atCollector = try await receiver.waitForSpans(traceID: parent.traceID) { (spans: [ReceivedSpan]) in
            spans.contains { $0.serviceName == "generator-otel" } && spans.contains { $0.serviceName == "hybrid-run" }
        }
        let children = atCollector.filter { $0.serviceName == "generator-otel" }
        #expect(children.allSatisfy { $0.transport == protocolName }, "relayed in the child's own protocol")
        let inReport = try Self.reportSpans(report)
        let reportIDs = Set(inReport.compactMap { $0["spanID"] as? String })
        #expect(Set(children.map(\.spanID)).isSubset(of: reportIDs), "every span the collector got is in the report")
        let root = try #require(atCollector.first { $0.serviceName == "hybrid-run" })
        #expect(reportIDs.contains(root.spanID))
        #expect(inReport.filter { $0["service"] as? String == "generator-otel" }.contains { $0["parentSpanID"] as? String == root.spanID })
    }

    /// The collector down: the child exits as it would without hybrid-run, after the same failed export.
    @Test func withTheCollectorDownTheChildFailsToExportAsItWouldAlone() async throws {
        let down = try ClosedPort()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: report) }
        let generator = try TestEnvironment.executable("generator-otel")
        // The child's export timeout is 30 s: a relay that held the child's connection instead of failing it as the
        // collector does would keep the child waiting that long.
        let environment = HybridRunProcess.environment(["OTEL_EXPORTER_OTLP_ENDPOINT": down.url.absoluteString, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                                                        "OTEL_EXPORTER_OTLP_TIMEOUT": "30000"])

        let alone = try await ProcessRunner.run(generator, ["200", output.path], environment: environment, timeout: .seconds(60))
        let wrapped = try await HybridRunProcess.run(["-o", report, "--", generator.path, "200", output.path], environment: environment)
        #expect(alone.status == 0 && wrapped.status == 0)
        let warning = { (stderr: String) in stderr.split(separator: "\n").contains { $0.hasPrefix("generator-otel: ") && $0.contains("spans not exported") } }
        #expect(warning(alone.stderr), "\(alone.stderr)")
        #expect(warning(wrapped.stderr), "the child still says its spans were dropped: \(wrapped.stderr)")
        // Both bounded by the exporters' shutdown bounds (2 s each, the child's then hybrid-run's), plus a debug
        // hybrid-run's start, sampling and report on a loaded machine (10.3 s against 2.3 s alone at load 10):
        // far below the 30 s a held connection would cost.
        #expect(wrapped.duration < alone.duration + .seconds(20), "\(wrapped.duration) vs \(alone.duration)")
        #expect(FileManager.default.fileExists(atPath: report))
    }

    /// Only a report redirects the child's exporter.
    @Test func withoutAReportTheChildsEnvironmentIsUntouched() async throws {
        let directory = FileManager.default.temporaryDirectory
        let show = ["--", "sh", "-c", "echo \"[$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]\""]
        let environment = try HybridRunProcess.tracedEnvironment(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        let folded = directory.appendingPathComponent("x-\(UUID().uuidString).folded").path
        let html = directory.appendingPathComponent("x-\(UUID().uuidString).html").path
        defer { for path in [folded, html] { try? FileManager.default.removeItem(atPath: path) } }
        let plain = try await HybridRunProcess.run(["-o", folded] + show, environment: environment)
        let reported = try await HybridRunProcess.run(["-o", html] + show, environment: environment)
        #expect(plain.stdoutText == "[]\n")
        #expect(reported.stdoutText.hasPrefix("[http://127.0.0.1:") && reported.stdoutText.hasSuffix("]\n"), "\(reported.stdoutText)")
    }

    /// Behind a proxy, a collector that is not loopback is relayed only when `NO_PROXY` exempts it, as the proxy
    /// variables' readers (Go, Python `requests`, curl) would send to it directly.
    @Test func aCollectorExemptFromTheProxyIsRelayed() async throws {
        let remote = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7:4318", "HTTP_PROXY": "http://proxy.corp:3128"]
        for (noProxy, relayed) in [(nil, false), ("10.0.0.0/8", true), ("example.com,10.0.0.7:4318", true), ("10.0.0.7:9999", false)] {
            var environment = remote
            environment["NO_PROXY"] = noProxy
            let (capture, childEnvironment) = await ChildSpanCapture.start(childEnvironment: environment, logger: Logger(label: "test"))
            _ = await capture.finish()
            #expect((capture.relay != nil) == relayed, "NO_PROXY=\(noProxy ?? "unset")")
            #expect((childEnvironment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]?.hasPrefix("http://127.0.0.1:") == true) == relayed, "NO_PROXY=\(noProxy ?? "unset")")
        }
    }
}
