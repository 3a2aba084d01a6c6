import Foundation
import Glibc
import Testing
import TestSupport

/// Signals reach the command once, and hybrid-run's own death does not take the command with it.
@Suite struct SignalTests {
    /// A command that reports the first signal it gets and exits 7 (`sleep` in the loop keeps it cheap; the
    /// trap runs when the current `sleep` ends).
    static func trapping(_ name: String) -> [String] {
        ["--", "sh", "-c", "trap 'echo got-\(name) >&2; exit 7' \(name); echo ready; while :; do sleep 0.05; done"]
    }

    @Test(arguments: [(SIGTERM, "TERM"), (SIGHUP, "HUP"), (SIGINT, "INT"), (SIGQUIT, "QUIT"), (SIGUSR1, "USR1"), (SIGUSR2, "USR2")])
    func relaysASignalSentToHybridRun(signal: Int32, name: String) async throws {
        let process = try RunningProcess(try HybridRunProcess.executable, Self.trapping(name), environment: HybridRunProcess.quietEnvironment)
        _ = try await Poll.until(timeout: .seconds(20), "the command to start") { process.stdoutSoFar.isEmpty ? nil : true }
        process.send(signal)
        let result = try await process.wait(timeout: .seconds(20))
        #expect(result.status == 7)
        #expect(result.stderr == "got-\(name)\n")
    }

    @Test func exitsWith128PlusTheSignalThatEndedTheCommand() async throws {
        let process = try RunningProcess(try HybridRunProcess.executable, ["--", "sh", "-c", "echo ready; exec sleep 60"], environment: HybridRunProcess.quietEnvironment)
        _ = try await Poll.until(timeout: .seconds(20), "the command to start") { process.stdoutSoFar.isEmpty ? nil : true }
        process.send(SIGTERM)
        let result = try await process.wait(timeout: .seconds(20))
        #expect(result.status == 143)
    }

    /// The command waits for the Ctrl-C however late it comes (a background `sleep` ignores SIGINT, and a trapped
    /// signal ends `wait` at once), then gives a second one a second to show up.
    @Test func ctrlCInATerminalReachesTheCommandExactlyOnce() async throws {
        let script = "trap 'echo caught-INT; caught=1' INT; echo ready; while [ -z \"$caught\" ]; do sleep 0.05 & wait; done; sleep 1 & wait; echo finished"
        let result = try await PseudoTerminal.run(["--", "sh", "-c", script], keys: [(after: "ready", send: [0x03])])
        #expect(result.status == 0)
        #expect(result.stdoutText.components(separatedBy: "caught-INT").count - 1 == 1)
        #expect(result.stdoutText.contains("finished"))
    }

    @Test func theCommandKeepsRunningWhenHybridRunIsKilled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-orphan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let go = directory.appendingPathComponent("go").path
        let done = directory.appendingPathComponent("done").path
        let script = "echo ready; while [ ! -e '\(go)' ]; do sleep 0.05; done; echo survived > '\(done)'"
        let process = try RunningProcess(try HybridRunProcess.executable, ["--", "sh", "-c", script], environment: HybridRunProcess.quietEnvironment)
        _ = try await Poll.until(timeout: .seconds(20), "the command to start") { process.stdoutSoFar.isEmpty ? nil : true }
        process.send(SIGKILL)
        _ = try await Poll.until(timeout: .seconds(20), "hybrid-run to die") {
            let state = (try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
            return state == nil || state == "Z" ? true : nil
        }
        FileManager.default.createFile(atPath: go, contents: nil)
        let content = try await Poll.until(timeout: .seconds(20), "the orphaned command to finish") {
            try? String(contentsOfFile: done, encoding: .utf8)
        }
        #expect(content == "survived\n")
        let result = try await process.wait(timeout: .seconds(20))
        #expect(result.status == 137)
    }
}
