import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
/// Children are started with `posix_spawn` (every signal at its default disposition, none blocked) and reaped
/// by `waitpid` on their own pid, so exit statuses and signals are exact even for processes that die at once.
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

    public struct SpawnFailure: Error, CustomStringConvertible {
        public var executable: String
        public var errno: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
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

/// A started process: signal it while it runs, read its output so far, then `wait`.
public final class RunningProcess: @unchecked Sendable {
    public let pid: pid_t
    private let executable: String
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var waitStatus: Int32?
    private var ended: ContinuousClock.Instant?
    private let exited = DispatchGroup()
    private let outputDone = DispatchGroup()
    private var heldStdin: Int32?

    /// Starts `executable`. `stdin: nil` gives /dev/null; bytes are written, then stdin is closed.
    public convenience init(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String]? = nil, stdin: [UInt8]? = nil,
        currentDirectory: URL? = nil
    ) throws {
        try self.init(executable, arguments, environment: environment, stdin: stdin, holdStdinOpen: false,
                      currentDirectory: currentDirectory)
    }

    /// With `holdStdinOpen`, stdin is a pipe left open (after `stdin`'s bytes) until ``closeStdin()`` or deinit.
    init(
        _ executable: URL, _ arguments: [String], environment: [String: String]?, stdin: [UInt8]?,
        holdStdinOpen: Bool, currentDirectory: URL?
    ) throws {
        Self.ignoreSIGPIPEOnce
        self.executable = executable.path
        var argv = [executable.path] + arguments
        var path = executable.path
        if let currentDirectory {
            // posix_spawn has no portable chdir action: let env(1) change directory, then exec.
            argv = ["/usr/bin/env", "-C", currentDirectory.path] + argv
            path = "/usr/bin/env"
        }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }

        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        let outPipe = try Self.makePipe()
        let errPipe = try Self.makePipe()
        let inPipe = stdin != nil || holdStdinOpen ? try Self.makePipe() : nil
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe?.read ?? devNull, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var child: pid_t = 0
        let result = Self.withCStrings(argv) { argvPointers in
            Self.withCStrings(env) { envPointers in
                posix_spawn(&child, path, &actions, &attributes, argvPointers, envPointers)
            }
        }
        // The child has its copies; close the parent's ends that belong to it.
        _ = close(outPipe.write)
        _ = close(errPipe.write)
        if let inPipe { _ = close(inPipe.read) }
        _ = close(devNull)
        guard result == 0 else {
            _ = close(outPipe.read)
            _ = close(errPipe.read)
            if let inPipe { _ = close(inPipe.write) }
            throw ProcessRunner.SpawnFailure(executable: executable.path, errno: result)
        }
        pid = child
        let spawned = child

        drain(outPipe.read) { [self] bytes in lock.withLock { stdoutBytes += bytes } }
        drain(errPipe.read) { [self] bytes in lock.withLock { stderrBytes += bytes } }
        if holdStdinOpen, let inPipe {
            heldStdin = inPipe.write
        } else if let stdin, let inPipe {
            let fd = inPipe.write
            Thread.detachNewThread {
                stdin.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if n < 0 { if errno == EINTR { continue } else { break } }  // EPIPE: the child stopped reading
                        offset += n
                    }
                }
                _ = close(fd)
            }
        }
        exited.enter()
        Thread.detachNewThread { [self] in
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            lock.withLock {
                waitStatus = status
                ended = ContinuousClock.now
            }
            exited.leave()
        }
    }

    private static let spawnLock = NSLock()
    private static let ignoreSIGPIPEOnce: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessRunner.SpawnFailure(executable: "pipe", errno: errno) }
        // (pipe2 is not exported to Swift; spawning is serialized by spawnLock so no sibling inherits these.)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private func drain(_ fd: Int32, _ append: @escaping @Sendable ([UInt8]) -> Void) {
        outputDone.enter()
        let group = outputDone
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                append(Array(buffer[0..<n]))
            }
            _ = close(fd)
            group.leave()
        }
    }

    /// Closes a held-open stdin (the child sees EOF).
    func closeStdin() {
        let fd = lock.withLock { () -> Int32? in
            defer { heldStdin = nil }
            return heldStdin
        }
        if let fd { _ = close(fd) }
    }

    /// Output so far (for polling a process that is still running).
    public var stdoutSoFar: [UInt8] { lock.withLock { stdoutBytes } }
    public var stderrSoFar: String { lock.withLock { String(decoding: stderrBytes, as: UTF8.self) } }

    /// Whether the process has not been reaped yet.
    public var isRunning: Bool { lock.withLock { waitStatus == nil } }

    /// Sends `signal` (e.g. `SIGTERM`) to the process, if it still runs.
    public func send(_ signal: Int32) {
        lock.withLock {
            // Under the lock the pid cannot have been reaped (and reused) yet.
            if waitStatus == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits for the exit and the end of its output. On timeout: SIGKILL, then throws ``ProcessRunner/TimedOut``.
    public func wait(timeout: Duration = .seconds(120)) async throws -> RunResult {
        let exited = self.exited
        let finished = await Self.blocking { exited.wait(timeout: .now() + timeout.timeInterval) == .success }
        if !finished {
            send(SIGKILL)
            await waitForExitAndOutput()
            throw ProcessRunner.TimedOut(executable: executable, timeout: timeout, partial: result())
        }
        await waitForExitAndOutput()
        return result()
    }

    private func waitForExitAndOutput() async {
        let exited = self.exited
        let output = self.outputDone
        await Self.blocking {
            exited.wait()
            // Output ends when every holder of the pipes is gone; a grandchild that keeps them open is
            // not waited for longer than 10 s.
            _ = output.wait(timeout: .now() + 10)
        }
    }

    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    private func result() -> RunResult {
        lock.withLock {
            let status = waitStatus ?? 0
            let signal: Int32? = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f ? status & 0x7f : nil
            let code = signal.map { 128 + $0 } ?? ((status >> 8) & 0xff)
            return RunResult(
                status: code, signal: signal, stdout: stdoutBytes,
                stderr: String(decoding: stderrBytes, as: UTF8.self),
                duration: (ended ?? ContinuousClock.now) - started)
        }
    }

    deinit {
        send(SIGKILL)
        closeStdin()
    }
}
