import Foundation
import ProfilerTestSupport
import Testing
import TestSupport

/// `hybrid-run -o report.html`: the page a person opens after a CI run, checked in headless Chromium.
@Suite struct HTMLReportTests {
    @Test func showsTheRunItsProfileAndItsTraceWithoutSecrets() async throws {
        let directory = try ReportBrowser.outputDirectory("HTMLReportTests")
        let report = directory.appendingPathComponent("report.html").path
        let folded = directory.appendingPathComponent("report.folded").path
        let parent = HybridRunProcess.newTraceParent()
        let result = try await HybridRunProcess.run(
            ["--rate", "1000", "-o", report, "-o", folded, "--", try Fixture.workload(), "shares", "25", "1", "postgres://loader:hunter2@db/orders"],
            environment: try HybridRunProcess.tracedEnvironment(["TRACEPARENT": parent.header, "HYBRID_TRACE_URL": "http://admin:s3cr3t@grafana.invalid/explore?x={trace_id}&api_key=KEY123"]))
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOfFile: report, encoding: .utf8)
        #expect(!page.contains("hunter2"), "the password in the command line is masked")
        #expect(!page.contains("s3cr3t") && !page.contains("KEY123"), "the trace link's password and key are masked")

        // The share of variable_share as the folded file counts it: the page must say the same.
        let lines = try String(contentsOfFile: folded, encoding: .utf8).split(separator: "\n")
        let count = { (line: Substring) in Int(line.split(separator: " ").last!)! }
        let total = lines.map(count).reduce(0, +)
        let variable = lines.filter { $0.hasSuffix(";variable_share \(count($0))") }.map(count).reduce(0, +)
        let expected = String(format: "matched %.1f%% of samples (%@ of %@) in 1 function", Double(variable) * 100 / Double(total),
                              variable.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))),
                              total.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))))

        let screenshot = directory.appendingPathComponent("report.png").path
        let outcome = try ReportBrowser.run(page: report, [
            .evaluate("document.getElementById('summary').textContent"),
            .evaluate("[...document.querySelectorAll('#flame .frame')].map(e => e.textContent)"),
            .type("#search", "variable_share"),
            .evaluate("document.getElementById('search-result').textContent"),
            .evaluate("[...document.querySelectorAll('.span-row')].map(r => r.dataset.span)"),
            .evaluate("[...document.querySelectorAll('#summary a')].map(a => a.href)"),
            .screenshot(screenshot),
        ])
        print("report screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty && outcome.console.isEmpty, "\(outcome.exceptions) \(outcome.console)")
        #expect(outcome.requests == ["file://\(report)"])
        let summary = try #require(outcome.string(0))
        #expect(summary.contains("postgres://loader:***@db/orders") && summary.contains(parent.traceID))
        #expect(Set(outcome.strings(1)).isSuperset(of: ["workload", "main", "variable_share", "remaining_share"]))
        #expect(outcome.string(3) == expected)
        #expect(outcome.strings(4).count == 1, "the root span")
        #expect(outcome.strings(5) == ["http://admin:***@grafana.invalid/explore?x=\(parent.traceID)&api_key=***"])
    }

    /// A span of the command's own (generator-otel's, relayed) shows the samples of its process and time only: not
    /// those of the workload that runs after it in the same command.
    @Test func aChildsSpanShowsOnlyTheSamplesTakenInsideIt() async throws {
        let directory = try ReportBrowser.outputDirectory("HTMLReportTests")
        let report = directory.appendingPathComponent("spans.html").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let generator = try TestEnvironment.executable("generator-otel").path
        let script = "\"$1\" 60000 \"$2\" && \"$3\" shares 25 1"
        let result = try await HybridRunProcess.run(
            ["--rate", "1000", "-o", report, "--", "sh", "-c", script, "sh", generator, output.path, try Fixture.workload()],
            environment: try HybridRunProcess.tracedEnvironment(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]))
        #expect(result.status == 0, "\(result.stderr)")

        let roots = "[...document.querySelectorAll('#flame .frame')].filter(e => e.style.top === '0px').map(e => e.textContent).sort()"
        let screenshot = directory.appendingPathComponent("span.png").path
        let outcome = try ReportBrowser.run(page: report, [
            .evaluate(roots),
            .evaluate("document.querySelector([...document.querySelectorAll('.span-row')].map(r => r.dataset.span).map(id => `.span-row[data-span='${id}']`).find(s => document.querySelector(s + ' .span-service').textContent === 'generator-otel')).id = 'generator-span'"),
            .click("#generator-span"),
            .evaluate(roots),
            .evaluate("document.getElementById('flame-title').textContent"),
            .screenshot(screenshot),
        ])
        print("span screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(Set(outcome.strings(0)).isSuperset(of: ["generator-otel", "workload"]), "\(outcome.strings(0))")
        #expect(outcome.strings(3) == ["generator-otel"], "\(outcome.strings(3))")
        #expect(outcome.string(4)?.contains("of span") == true, "\(outcome.string(4) ?? "")")
    }

    @Test func aReportPathThatIsADirectoryIsRefusedBeforeTheCommandRuns() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-report-\(UUID().uuidString)")
        let taken = directory.appendingPathComponent("report.html")
        try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let marker = directory.appendingPathComponent("ran").path
        let result = try await HybridRunProcess.run(["-o", taken.path, "--", "touch", marker])
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("hybrid-run: ") && result.stderr.contains("--output \(taken.path)") && result.stderr.contains("directory"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the command did not run")
        #expect(try FileManager.default.contentsOfDirectory(atPath: taken.path).isEmpty)
    }
}
