import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/demo.sh` profiles the products as users run them, release builds, and says what it builds before a
/// first build that takes minutes.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct DemoScriptTests {
    /// A stand-in `swift` first on `PATH` records every call, shows an empty directory as the products'
    /// directory (so the build is a first build) and fails every build: the demo stops at its first build step.
    @Test func buildsReleaseProductsAndAnnouncesAFirstBuild() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        let products = directory.appendingPathComponent("products")
        try FileManager.default.createDirectory(at: products, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let calls = directory.appendingPathComponent("calls")
        let swift = directory.appendingPathComponent("swift")
        try """
            #!/bin/sh
            echo "$*" >>'\(calls.path)'
            case "$*" in *--show-bin-path*) echo '\(products.path)'; exit 0 ;; esac
            echo "error: the test's stand-in swift builds nothing" >&2
            exit 1
            """.write(to: swift, atomically: true, encoding: .utf8)
        #expect(chmod(swift.path, 0o755) == 0)

        let result = try await ProcessRunner.run(
            TestEnvironment.packageRoot.appendingPathComponent("scripts/demo.sh"), [],
            environment: ProcessRunner.environment(adding: ["PATH": "\(directory.path):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]),
            timeout: .seconds(300))
        // The demo's output folder, named in its one failure line (`…; log: OUT/logs/build.log`), is not kept.
        if let log = result.stderr.firstMatch(of: /log: (\S+)\/logs\/build\.log/) {
            try? FileManager.default.removeItem(atPath: String(log.1))
        }

        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdoutText == "demo: building hybrid-run, generator-otel and loader-otel (release) — the first build takes about 8 minutes on 2 cores\n")
        let builds = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n").filter { !$0.contains("--show-bin-path") }
        #expect(builds == ["build -c release --product hybrid-run"], "the demo stops at its first failed build")
        #expect(result.stderr.hasPrefix("demo.sh: swift build -c release --product hybrid-run failed"), "\(result.stderr)")
        // Started inside scripts/test.sh, whose PostgreSQL the demo's environment names: the demo's clean-up
        // stops only a server of its own.
        #expect(try await workload.query("SELECT 1") == "1")
    }
}
