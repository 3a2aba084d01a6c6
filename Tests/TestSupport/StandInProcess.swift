import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in receiver process started by a test (`scripts/standins/*.py` in the venv python).
///
/// Start-up follows the stand-ins' protocol: they print one JSON line with their ports once bound, and this
/// waits for that line (bounded), never for a fixed time. The process gets `--exit-on-stdin-eof` and a stdin
/// pipe held here, so it ends with the test process even if `stop()` is never called.
final class StandInProcess: @unchecked Sendable {
    struct Announcement: Decodable, Sendable {
        var url: String?
        var query_url: String?
        var grpc_endpoint: String?
        var http_endpoint: String?
        var pid: Int32?
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    private let process: RunningProcess
    let announcement: Announcement

    private init(process: RunningProcess, announcement: Announcement) {
        self.process = process
        self.announcement = announcement
    }

    static func start(script: String, arguments: [String], timeout: Duration = .seconds(60)) async throws -> StandInProcess {
        let environment = TestEnvironment.current
        let python = try environment.python
        let scriptURL = try environment.standinsDirectory.appendingPathComponent(script)
        let process = try RunningProcess(
            python, [scriptURL.path] + arguments + ["--exit-on-stdin-eof"], environment: nil, stdin: nil,
            holdStdinOpen: true, currentDirectory: nil)
        let line: [UInt8]
        do {
            line = try await Poll.until(timeout: timeout, interval: .milliseconds(20), "\(script) to announce its ports") {
                let output = process.stdoutSoFar
                if let newline = output.firstIndex(of: UInt8(ascii: "\n")) { return Array(output[..<newline]) }
                if !process.isRunning { return [] }
                return nil
            }
        } catch {
            process.send(SIGKILL)
            throw StartFailure(description: "\(script) did not start: \(error); stderr: \(process.stderrSoFar.suffix(2000))")
        }
        guard let announcement = try? JSONDecoder().decode(Announcement.self, from: Data(line)) else {
            process.send(SIGKILL)
            _ = try? await process.wait(timeout: .seconds(10))
            throw StartFailure(description: "\(script) did not announce its ports; stderr: \(process.stderrSoFar.suffix(2000))")
        }
        return StandInProcess(process: process, announcement: announcement)
    }

    /// Runs `body` with a dedicated stand-in and stops it afterwards, whatever `body` does.
    static func stopping<S: Sendable, T: Sendable>(_ standIn: S, stop: (S) async -> Void, _ body: (S) async throws -> T) async throws -> T {
        do {
            let result = try await body(standIn)
            await stop(standIn)
            return result
        } catch {
            await stop(standIn)
            throw error
        }
    }

    /// SIGTERM, then a bounded wait for the exit (SIGKILL after 10 s).
    func stop() async {
        process.send(SIGTERM)
        do {
            _ = try await process.wait(timeout: .seconds(10))
        } catch {
            // wait() already killed it.
        }
        process.closeStdin()
    }
}
