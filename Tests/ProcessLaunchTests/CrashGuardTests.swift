import Foundation
import Glibc
import ProcessLaunch
import ProfilerTestSupport
import TestSupport
import Testing

/// hybrid-run dies of a fatal signal while it samples (sent here: a real bug is not to be had on demand); the
/// command it runs must not notice: it finishes its work, is never left stopped or traced, and hybrid-run
/// still exits with its status.
@Suite(.serialized) struct CrashGuardTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-crash-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private static let environment = ProcessRunner.environment(
        adding: ["OTEL_SDK_DISABLED": "true"],
        removing: ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("PYROSCOPE_") || $0.hasPrefix("OTEL_") })

    private func marker(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// hybrid-run (profiling with `sampler`, or not at all) running a command that works half a second, says
    /// so, then waits, blocked on a FIFO (no stop or event that would reach a tracer by itself), until the test
    /// lets it finish, says so and exits with 7; returned once the first half second is done.
    private func start(sampler: String?) async throws -> (hybridRun: RunningProcess, command: Int32) {
        let workload = try Fixture.workload()
        try #require(mkfifo(marker("release"), 0o600) == 0)
        let script = "'\(workload)' split 0.5; touch '\(marker("sampled"))'; read line < '\(marker("release"))'; "
            + "touch '\(marker("finished"))'; exit 7"
        let profiling = sampler.map { ["--sampler", $0, "--rate", "1000", "--output", marker("profile.folded")] } ?? []
        let hybridRun = try RunningProcess(try TestEnvironment.executable("hybrid-run"), profiling + ["--", "/bin/sh", "-c", script],
                                           environment: Self.environment)
        // Generous bounds: a loaded machine slows everything, and only a hang should fail them.
        try await Poll.until(timeout: .seconds(60), "the command's first half second of work") {
            FileManager.default.fileExists(atPath: marker("sampled")) ? true : nil
        }
        let command = try #require(ProcessTable.children(of: hybridRun.pid).first)
        return (hybridRun, command)
    }

    /// Waits for hybrid-run to have replaced itself with its reap mode, then for every thread of the command's
    /// process tree to be untraced, and checks that none is stopped.
    private func expectLetGo(_ hybridRun: RunningProcess, command: Int32) async throws {
        try await Poll.until(timeout: .seconds(20), "hybrid-run's reap mode") {
            guard hybridRun.isRunning else { throw FixtureError("hybrid-run died: \(hybridRun.stderrSoFar)") }
            return ProcessTable.arguments(of: hybridRun.pid).contains(CrashGuard.reapArgument) ? true : nil
        }
        try await Poll.until(timeout: .seconds(10), "the command's threads to be untraced") {
            ProcessTable.tree(of: command).allSatisfy { ProcessTable.tracers(of: $0).allSatisfy { $0 == 0 } } ? true : nil
        }
        for process in ProcessTable.tree(of: command) {
            #expect(!ProcessTable.threadStates(of: process).contains { $0 == "t" || $0 == "T" }, "process \(process) is stopped")
        }
    }

    /// Lets the command finish its work, if it is waiting to (opening a FIFO for writing without blocking
    /// succeeds only while its reader has it open); `false` if it is not.
    @discardableResult
    private func release() -> Bool {
        let fifo = open(marker("release"), O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fifo >= 0 else { return false }
        _ = write(fifo, "go\n", 3)
        close(fifo)
        return true
    }

    /// Lets the command finish, then checks that it did and that hybrid-run exited with its status.
    private func expectTheCommandsStatus(_ hybridRun: RunningProcess, signal: String) async throws {
        try await Poll.until(timeout: .seconds(20), "the command to wait for the test") { release() ? true : nil }
        let result = try await hybridRun.wait(timeout: .seconds(60))
        #expect(result.status == 7, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker("finished")), "the command finished its work")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("internal error") }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: internal error (\(signal) sent by process ") == true, "\(lines)")
    }

    @Test(arguments: ["perf-event", "ptrace"], [SIGSEGV, SIGABRT])
    func theCommandOutlivesAFatalSignalOfHybridRun(sampler: String, signal: Int32) async throws {
        let (hybridRun, command) = try await start(sampler: sampler)
        defer { release() }
        hybridRun.send(signal)
        try await expectLetGo(hybridRun, command: command)
        try await expectTheCommandsStatus(hybridRun, signal: signal == SIGSEGV ? "SIGSEGV" : "SIGABRT")
    }

    /// The thread that crashes is the one that execs, and a tracer's tracees stay attached to it across `exec`:
    /// the reap mode must let them go itself.
    @Test func theCommandIsLetGoWhenTheTracerThreadItselfCrashes() async throws {
        let (hybridRun, command) = try await start(sampler: "ptrace")
        defer { release() }
        let tracer = try #require(ProcessTable.tracers(of: command).first { $0 != 0 })
        let sent = try ExternalTool.run(try Fixture.signalThread(), [String(hybridRun.pid), String(tracer), String(SIGSEGV)])
        try #require(sent.status == 0, "\(sent.standardError)")
        try await expectLetGo(hybridRun, command: command)
        try await expectTheCommandsStatus(hybridRun, signal: "SIGSEGV")
    }

    @Test func anUnprofiledCommandOutlivesAFatalSignalOfHybridRun() async throws {
        let (hybridRun, command) = try await start(sampler: nil)
        defer { release() }
        hybridRun.send(SIGSEGV)
        try await expectLetGo(hybridRun, command: command)
        try await expectTheCommandsStatus(hybridRun, signal: "SIGSEGV")
    }

    /// `hybrid-run … 2>&1 | head -1`: once the reader is gone, hybrid-run's next message meets a closed pipe.
    @Test func theCommandsStatusOutlivesAClosedStderr() async throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        // The write end is inherited (not close-on-exec) by bash (dash takes one-digit descriptors only), which
        // makes it hybrid-run's stderr.
        let hybridRun = try RunningProcess(URL(fileURLWithPath: "/bin/bash"),
                                           ["-c", "exec \"$0\" \"$@\" 2>&\(ends[1])", try TestEnvironment.executable("hybrid-run").path,
                                            "--output", marker("profile.folded"), "--", "/bin/sh", "-c", "exit 3"],
                                           environment: Self.environment)
        let result = try await hybridRun.wait(timeout: .seconds(60))
        #expect(result.status == 3)
    }
}
