import Foundation
import Testing
import TestSupport

/// hybrid-run exits with the command's status, as a shell reports it, and uses 125–127 only as `env` does.
@Suite struct ExitStatusTests {
    @Test(arguments: [
        ("exit 0", Int32(0)), ("exit 1", 1), ("exit 2", 2), ("exit 42", 42), ("exit 64", 64), ("exit 125", 125),
        ("exit 126", 126), ("exit 127", 127), ("exit 255", 255),
        ("kill -TERM $$", 143), ("kill -KILL $$", 137), ("kill -SEGV $$", 139),
    ])
    func exitsWithTheCommandsStatus(script: String, expected: Int32) async throws {
        let bare = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script], environment: HybridRunProcess.quietEnvironment)
        let wrapped = try await HybridRunProcess.run(["--", "sh", "-c", script])
        #expect(bare.status == expected)
        #expect(wrapped.status == expected)
        #expect(wrapped.stderr.isEmpty)
    }

    @Test func reportsACommandThatIsNotFoundWith127() async throws {
        let result = try await HybridRunProcess.run(["--", "no-such-command-for-hybrid-run"])
        #expect(result.status == 127)
        #expect(result.stderr == "hybrid-run: error: no-such-command-for-hybrid-run: command not found\n")
    }

    @Test func reportsACommandThatCannotBeExecutedWith126() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-executable-\(UUID().uuidString)")
        try Data("echo hi\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await HybridRunProcess.run(["--", file.path])
        #expect(result.status == 126)
        #expect(result.stderr.contains("Permission denied"))
    }

    @Test func runsWithoutTheSeparatorToo() async throws {
        let result = try await HybridRunProcess.run(["sh", "-c", "exit 9"])
        #expect(result.status == 9)
    }

    @Test(arguments: [
        (["--rate", "0", "--", "true"], "--rate must be between 1 and 10000 Hz"),
        (["--rate", "fast", "--", "true"], "The value 'fast' is invalid for '--rate <hz>'"),
        ([], "Missing COMMAND"),
        (["--upload-interval", "0", "--", "true"], "--upload-interval must be at least 1 second"),
    ])
    func usageErrorsExitWith125BeforeStartingAnything(arguments: [String], message: String) async throws {
        let result = try await HybridRunProcess.run(arguments)
        #expect(result.status == 125)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("hybrid-run: "))
        #expect(result.stderr.contains(message))
    }

    @Test func telemetryProblemsNeverChangeTheStatus() async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "exit 5"], environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": listener.hostAndPort, "OTEL_TRACES_SAMPLER": "xray", "PYROSCOPE_ENABLE": "maybe",
        ]))
        #expect(result.status == 5)
    }
}
