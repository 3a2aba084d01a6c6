import Foundation
import Testing
import TestSupport

/// The command sees what it would see without hybrid-run, and its output is not touched.
@Suite struct PassThroughTests {
    @Test func pipesStdinThrough() async throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let result = try await HybridRunProcess.run(["--", "cat"], stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout == input)
    }

    @Test func stdoutIsByteIdenticalToTheBareCommand() async throws {
        let script = #"printf 'a\000b\377\r\n'; seq 1 50000; printf 'to stderr\n' >&2"#
        let bare = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script], environment: HybridRunProcess.quietEnvironment)
        let wrapped = try await HybridRunProcess.run(["--", "sh", "-c", script])
        #expect(wrapped.stdout == bare.stdout)
        #expect(wrapped.stderr == bare.stderr)
    }

    @Test func printsNothingOnStdoutEvenWhenWarning() async throws {
        let result = try await HybridRunProcess.run(["--", "true"], environment: HybridRunProcess.environment([
            "OTEL_SDK_DISABLED": "true", "PYROSCOPE_ENABLE": "maybe",
        ]))
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "hybrid-run: warning: PYROSCOPE_ENABLE=maybe is not a boolean (true/false, 1/0, yes/no, on/off); assuming false\n")
    }

    @Test func passesTheEnvironmentThroughUnchangedWhenTracingIsOff() async throws {
        let environment = HybridRunProcess.environment(["OTEL_SDK_DISABLED": "true", "BAGGAGE": "k=v", "SOME_SETTING": "x=1,y"])
        let bare = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), [], environment: environment)
        let wrapped = try await HybridRunProcess.run(["--", "env"], environment: environment)
        #expect(Set(wrapped.stdoutText.split(separator: "\n")) == Set(bare.stdoutText.split(separator: "\n")))
    }

    @Test func keepsTheWorkingDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory
        let bare = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/pwd"), [], environment: HybridRunProcess.quietEnvironment, currentDirectory: directory)
        let wrapped = try await ProcessRunner.run(try HybridRunProcess.executable, ["--", "pwd"], environment: HybridRunProcess.quietEnvironment, currentDirectory: directory)
        #expect(wrapped.stdoutText == bare.stdoutText)
    }

    /// Started with only stdin, stdout, stderr and descriptor 5 (as a shell's `5<file` would), the command
    /// gets exactly those: nothing hybrid-run's libraries opened leaks into it, and nothing given is lost.
    @Test(arguments: ["true", "false"])
    func passesExactlyTheInheritedDescriptors(tracing: String) async throws {
        let launcher = "import os, subprocess, sys; os.dup2(os.open('/dev/null', os.O_RDONLY), 5); sys.exit(subprocess.call(sys.argv[1:], pass_fds=(5,)))"
        let listing = ["ls", "/proc/self/fd"]
        let environment = HybridRunProcess.environment(["OTEL_SDK_DISABLED": tracing == "true" ? "false" : "true", "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "100ms"])
        let python = try TestEnvironment.current.python
        let bare = try await ProcessRunner.run(python, ["-c", launcher] + listing, environment: environment)
        let wrapped = try await ProcessRunner.run(python, ["-c", launcher, try HybridRunProcess.executable.path, "--"] + listing, environment: environment)
        #expect(bare.stdoutText.split(separator: "\n").contains("5"))
        #expect(wrapped.stdoutText == bare.stdoutText, "status \(wrapped.status): \(wrapped.stderr)")
    }

    /// hybrid-run raises its own open-file limit (a traced thread costs it two descriptors); the command starts
    /// with the limit hybrid-run was given, soft and hard.
    @Test func theCommandGetsTheOpenFileLimitHybridRunWasGiven() async throws {
        let prlimit = URL(fileURLWithPath: "/usr/bin/prlimit")
        let limits = ["--nofile=100:4096", "sh", "-c", "ulimit -Sn; ulimit -Hn"]
        let bare = try await ProcessRunner.run(prlimit, limits, environment: HybridRunProcess.quietEnvironment)
        let wrapped = try await ProcessRunner.run(prlimit, ["--nofile=100:4096", try HybridRunProcess.executable.path, "--"] + limits.dropFirst(),
                                                  environment: HybridRunProcess.quietEnvironment)
        #expect(bare.stdoutText == "100\n4096\n")
        #expect(wrapped.stdoutText == bare.stdoutText, "status \(wrapped.status): \(wrapped.stderr)")
    }

    @Test func aTerminalStaysATerminal() async throws {
        let result = try await PseudoTerminal.run(["--", "sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo all-terminals"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("all-terminals"))
    }
}

/// Runs hybrid-run on a pseudo-terminal through `Fixtures/pty_run.py`, as from a user's shell.
enum PseudoTerminal {
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pty_run.py")

    /// - Parameter keys: pairs of (text to wait for on the terminal, bytes to type then).
    static func run(_ arguments: [String], keys: [(after: String, send: [UInt8])] = []) async throws -> RunResult {
        var driverArguments = [driver.path]
        for key in keys {
            driverArguments += ["--after", key.after, "--send", key.send.map { String(format: "%02x", $0) }.joined()]
        }
        driverArguments += ["--", try HybridRunProcess.executable.path] + arguments
        return try await ProcessRunner.run(try TestEnvironment.current.python, driverArguments, environment: HybridRunProcess.quietEnvironment, timeout: .seconds(60))
    }
}
