import Foundation

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

    private let process: Process
    private let stdin: Pipe
    private let exited: DispatchSemaphore
    private let lock = NSLock()
    private var stopped = false
    let announcement: Announcement

    private init(process: Process, stdin: Pipe, exited: DispatchSemaphore, announcement: Announcement) {
        self.process = process
        self.stdin = stdin
        self.exited = exited
        self.announcement = announcement
    }

    static func start(script: String, arguments: [String], timeout: Duration = .seconds(60)) async throws -> StandInProcess {
        let environment = TestEnvironment.current
        let python = try environment.python
        let scriptURL = try environment.standinsDirectory.appendingPathComponent(script)
        let process = Process()
        process.executableURL = python
        process.arguments = [scriptURL.path] + arguments + ["--exit-on-stdin-eof"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()

        let reader = stdout.fileHandleForReading
        let line: Data = try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        var line = Data()
                        while true {
                            let chunk = reader.availableData  // empty at EOF
                            if chunk.isEmpty { break }
                            line.append(chunk)
                            if line.contains(UInt8(ascii: "\n")) { break }
                        }
                        continuation.resume(returning: line)
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            if first == nil { process.terminate() }  // timed out: the exit closes stdout and ends the reader
            group.cancelAll()
            return first ?? Data()
        }
        let firstLine = line.split(separator: UInt8(ascii: "\n"), maxSplits: 1).first.map { Data($0) } ?? Data()
        guard let announcement = try? JSONDecoder().decode(Announcement.self, from: firstLine) else {
            if process.isRunning { process.terminate() }
            throw StartFailure(description: "\(script) did not announce its ports (see its stderr above)")
        }
        return StandInProcess(process: process, stdin: stdin, exited: exited, announcement: announcement)
    }

    /// SIGTERM, then a bounded wait for the exit (SIGKILL after 10 s).
    func stop() async {
        let alreadyStopped = lock.withLock { () -> Bool in
            defer { stopped = true }
            return stopped
        }
        if alreadyStopped { return }
        if process.isRunning { process.terminate() }
        let exited = self.exited
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                if exited.wait(timeout: .now() + 10) == .timedOut {
                    kill(process.processIdentifier, SIGKILL)
                    exited.wait()
                }
                continuation.resume()
            }
        }
        try? stdin.fileHandleForWriting.close()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
