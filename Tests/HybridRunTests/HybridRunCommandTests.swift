import Foundation
import Testing
import TestSupport

/// hybrid-run reads the words before the command as `env`, `nice` and `timeout` do: a word starting with `-` is an
/// option, so an unknown one is a usage error (125), never a command to run.
@Suite struct HybridRunCommandTests {
    @Test(arguments: [
        (["--nonsense", "--", "true"], "--nonsense"),
        (["--nonsense"], "--nonsense"),
        (["--nonsense=1", "true"], "--nonsense=1"),
        (["--rate", "100", "-x", "--", "true"], "-x"),
        (["-q", "--attr", "k=v", "--no-such-flag", "true"], "--no-such-flag"),
    ])
    func anUnknownOptionIsAUsageError(arguments: [String], option: String) async throws {
        let result = try await HybridRunProcess.run(arguments)
        #expect(result.status == 125)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "hybrid-run: unknown option \(option) (see hybrid-run --help)\n")
    }

    /// A program named like the mistyped option, on the PATH, must not be what runs.
    @Test func neverRunsAProgramNamedLikeTheUnknownOption() async throws {
        let directory = try Self.directoryWithProgram(named: "--nonsense", script: "touch \"$0.ran\"")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await HybridRunProcess.run(["--nonsense", "--", "true"], environment: Self.environment(path: directory))
        #expect(result.status == 125)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("--nonsense.ran").path))
    }

    @Test func afterTheSeparatorADashWordIsTheCommand() async throws {
        let directory = try Self.directoryWithProgram(named: "-x", script: "echo \"ran $*\"; exit 7")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await HybridRunProcess.run(["--", "-x", "--flag"], environment: Self.environment(path: directory))
        #expect(result.status == 7)
        #expect(result.stdoutText == "ran --flag\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func optionsWithValuesRepeatedOptionsAndTheCommandsOwnFlagsStillWork() async throws {
        let result = try await HybridRunProcess.run([
            "-q", "--rate=100", "--rate", "50", "--attr", "a=1", "--attr", "b=2", "--span-name", "job",
            "sh", "-c", "echo \"$@\"; exit 3", "sh", "--flag", "-x",
        ])
        #expect(result.status == 3)
        #expect(result.stdoutText == "--flag -x\n")
        #expect(result.stderr.isEmpty)
    }

    @Test(arguments: [["--help"], ["--rate", "100", "--help"], ["-q", "-h"]])
    func helpAfterOtherOptionsIsHelp(arguments: [String]) async throws {
        let result = try await HybridRunProcess.run(arguments + ["--", "true"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("USAGE: hybrid-run"))
        #expect(result.stderr.isEmpty)
    }

    @Test func versionAfterOtherOptionsIsTheVersion() async throws {
        let plain = try await HybridRunProcess.run(["--version"])
        let afterOptions = try await HybridRunProcess.run(["--rate", "100", "--version"])
        #expect(plain.status == 0)
        #expect(!plain.stdoutText.isEmpty)
        #expect(afterOptions.status == 0)
        #expect(afterOptions.stdoutText == plain.stdoutText)
    }

    @Test func theSeparatorAloneIsAMissingCommand() async throws {
        let result = try await HybridRunProcess.run(["--"])
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("hybrid-run: Error: Missing COMMAND"))
    }

    /// A directory holding one executable shell script `name`, to put first on the PATH.
    static func directoryWithProgram(named name: String, script: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let program = directory.appendingPathComponent(name)
        try Data("#!/bin/sh\n\(script)\n".utf8).write(to: program)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        return directory
    }

    static func environment(path directory: URL) -> [String: String] {
        var environment = HybridRunProcess.quietEnvironment
        environment["PATH"] = directory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        return environment
    }
}
