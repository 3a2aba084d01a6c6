import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a finished process.
public struct RunResult: Sendable {
    /// Shell convention: the exit code, or 128 + N when killed by signal N.
    public var status: Int32
    /// The signal that ended it, if any.
    public var signal: Int32?
    public var stdout: [UInt8]
    public var stderr: String
    public var duration: Duration

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs programs under test: captures stdout (bytes) and stderr (text), measures wall time, and enforces a
/// timeout (the process is killed and the run fails).
///
/// ```swift
/// let result = try await ProcessRunner.run(try TestEnvironment.executable("generator-otel"), ["10", "-"],
///                                          environment: ProcessRunner.environment(adding: ["OTEL_SDK_DISABLED": "true"]))
/// #expect(result.status == 0)
/// ```
public enum ProcessRunner {
    public struct TimedOut: Error, CustomStringConvertible {
        public var executable: String
        public var timeout: Duration
        /// What the process had written before it was killed.
        public var partial: RunResult
        public var description: String {
            "\(executable) still running after \(timeout): killed; stderr so far: \(partial.stderr.suffix(2000))"
        }
    }

    /// This process's environment with `adding` set and `removing` removed (e.g. drop inherited `OTEL_*`).
    public static func environment(adding: [String: String] = [:], removing: [String] = []) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in removing { environment.removeValue(forKey: key) }
        environment.merge(adding) { _, new in new }
        return environment
    }

    /// Runs to completion. `environment: nil` inherits this process's environment; `stdin: nil` gives /dev/null.
    public static func run(
        _ executable: URL,
        _ arguments: [String] = [],
        environment: [String: String]? = nil,
        stdin: [UInt8]? = nil,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> RunResult {
        let running = try RunningProcess(executable, arguments, environment: environment, stdin: stdin,
                                         currentDirectory: currentDirectory)
        return try await running.wait(timeout: timeout)
    }
}

/// A started process: signal it while it runs, then `wait`.
public final class RunningProcess: @unchecked Sendable {
    private let process: Process
    private let executable: URL
    private let started: ContinuousClock.Instant
    private let exited = DispatchSemaphore(value: 0)
    private let output = DispatchGroup()
    private let lock = NSLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []

    public var pid: Int32 { process.processIdentifier }

    public init(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String]? = nil, stdin: [UInt8]? = nil,
        currentDirectory: URL? = nil
    ) throws {
        self.executable = executable
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let stdinPipe: Pipe?
        if stdin != nil {
            stdinPipe = Pipe()
            process.standardInput = stdinPipe
        } else {
            stdinPipe = nil
            process.standardInput = FileHandle.nullDevice
        }
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        started = ContinuousClock.now
        try process.run()

        drain(stdoutPipe.fileHandleForReading) { [self] bytes in lock.withLock { stdoutBytes += bytes } }
        drain(stderrPipe.fileHandleForReading) { [self] bytes in lock.withLock { stderrBytes += bytes } }
        if let stdin, let stdinPipe {
            let writer = stdinPipe.fileHandleForWriting
            DispatchQueue.global().async {
                try? writer.write(contentsOf: Data(stdin))  // a child that exits early makes this fail: fine
                try? writer.close()
            }
        }
    }

    private func drain(_ handle: FileHandle, _ append: @escaping @Sendable ([UInt8]) -> Void) {
        output.enter()
        let output = self.output
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                append(Array(chunk))
            }
            output.leave()
        }
    }

    /// Output so far (for polling a process that is still running).
    public var stdoutSoFar: [UInt8] { lock.withLock { stdoutBytes } }
    public var stderrSoFar: String { lock.withLock { String(decoding: stderrBytes, as: UTF8.self) } }

    /// Sends `signal` (e.g. `SIGTERM`) to the process.
    public func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the exit and the end of its output. On timeout: SIGKILL, then throws ``ProcessRunner/TimedOut``.
    public func wait(timeout: Duration = .seconds(120)) async throws -> RunResult {
        let exited = self.exited
        let finished: Bool = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: exited.wait(timeout: .now() + timeout.timeInterval) == .success)
            }
        }
        if !finished {
            kill(process.processIdentifier, SIGKILL)
            await waitForExitAndOutput()
            throw ProcessRunner.TimedOut(executable: executable.path, timeout: timeout, partial: result())
        }
        exited.signal()  // keep it signalled for another wait()
        await waitForExitAndOutput()
        return result()
    }

    private func waitForExitAndOutput() async {
        let exited = self.exited
        let output = self.output
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                exited.wait()
                exited.signal()
                // Output ends when every holder of the pipes is gone; a grandchild that keeps them open is
                // not waited for longer than 10 s.
                _ = output.wait(timeout: .now() + 10)
                continuation.resume()
            }
        }
    }

    private func result() -> RunResult {
        let signaled = process.terminationReason == .uncaughtSignal
        let code = process.terminationStatus
        return lock.withLock {
            RunResult(
                status: signaled ? 128 + code : code,
                signal: signaled ? code : nil,
                stdout: stdoutBytes,
                stderr: String(decoding: stderrBytes, as: UTF8.self),
                duration: ContinuousClock.now - started)
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
