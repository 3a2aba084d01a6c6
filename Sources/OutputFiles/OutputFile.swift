import _CProcessShims
import Glibc
import SafeText

/// One output a program writes, by the rule of ``OutputTarget``: open, write, then ``commit()`` (or ``discard()``).
///
/// A regular file is written to a temporary sibling (`.NAME.XXXXXX` in the same directory, so the final
/// `rename(2)` is atomic), flushed with `fsync` and renamed over the path by ``commit()``: a reader never sees
/// half a file, and a failed write, a full disk or a signal (``removeTemporaryFilesOnSignals()``) leaves the old
/// file as it was and no temporary file behind. The new file keeps the replaced one's mode and owner (the owner
/// where this process may set it); a new name gets 0666 minus the umask, as any new file. Descriptors and
/// special files are written in place: nothing is created, truncated or renamed.
public final class OutputFile {
    /// What opening a FIFO does when no process has it open for reading.
    public enum NoReader: Sendable {
        /// Wait for a reader, as `seq 10 > fifo` does: for a program whose output is its work.
        case wait
        /// Fail at once with ``OutputFileError/Problem/noReader``: for a program that must not hang at exit.
        case fail
    }

    /// The signals ``removeTemporaryFilesOnSignals()`` handles: interrupt, termination and hang-up.
    static let cleanupSignals = [SIGINT, SIGTERM, SIGHUP]

    /// The path as the user gave it.
    public let path: String
    private var descriptor: Int32?
    private var temporary: (path: String, target: String, slot: Int32)?
    /// How long a write to a FIFO or pipe waits for its reader to take a byte; `nil`: as long as it takes.
    private let stallLimit: Duration?

    /// Opens `path` by its ``OutputTarget``; a regular file's temporary sibling is created now.
    ///
    /// - Parameter stallLimit: for a FIFO or pipe (`-` into one included), how long a write may wait for the reader
    ///   to take any byte before it fails with ``OutputFileError/Problem/stalledReader(_:)``. A reader that opened
    ///   the FIFO and stopped reading would otherwise keep a program that must not hang at exit waiting for ever,
    ///   once the pipe's buffer (64 KiB) is full. `nil` waits as `seq 10 > fifo` does.
    public init(path: String, noReader: NoReader = .wait, stallLimit: Duration? = nil) throws(OutputFileError) {
        self.path = path
        self.stallLimit = stallLimit
        switch try OutputTarget.resolve(path) {
        case .descriptor(let fd):
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else { throw OutputFileError(path: path, problem: .system(errno)) }
            descriptor = copy
        case .special(let special, let isFIFO):
            descriptor = try Self.openInPlace(special, waitingForReader: isFIFO && noReader == .wait, path: path)
        case .file(let target, let existing):
            let created = try Self.createTemporary(next: target, path: path)
            descriptor = created.fd
            temporary = (created.path, target, created.slot)
            if let existing {
                // Owner first: changing it clears set-user-ID and set-group-ID bits, which the mode then restores.
                if fchown(created.fd, existing.owner, existing.group) != 0 { _ = fchown(created.fd, uid_t.max, existing.group) }
                _ = fchmod(created.fd, existing.mode)
            }
        }
    }

    deinit {
        discard()
    }

    public func write(_ bytes: [UInt8]) throws(OutputFileError) {
        guard let descriptor else { return }
        var failure: Problem?
        let limit = stallLimit.flatMap { Self.isPipe(descriptor) ? $0 : nil }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                // With a stall limit, a pipe is written only once it has room, a page at most: such a write takes
                // what it is given at once (pipe(7): up to PIPE_BUF bytes are written whole), so no write blocks.
                if let limit, !Self.waitForRoom(descriptor, limit: limit) {
                    failure = .stalledReader(limit)
                    return
                }
                let count = limit == nil ? raw.count - offset : min(raw.count - offset, Int(PIPE_BUF))
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, count)
                if written >= 0 {
                    offset += written
                } else if errno == EAGAIN {
                    // An inherited descriptor may be non-blocking (another program set it so): wait until it takes more.
                    guard limit == nil else { continue }
                    var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                } else if errno != EINTR {
                    failure = .system(errno)
                    return
                }
            }
        }
        if let failure { throw OutputFileError(path: path, problem: failure) }
    }

    private typealias Problem = OutputFileError.Problem

    private static func isPipe(_ descriptor: Int32) -> Bool {
        var status = stat()
        return fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO
    }

    /// Whether the pipe at `descriptor` has room within `limit` (or its reader is gone: the write then says so).
    private static func waitForRoom(_ descriptor: Int32, limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, Int32(clamping: left.wholeMilliseconds))
            var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let result = poll(&ready, 1, milliseconds)
            if result == 0 { return false }
            // Room, a reader gone or a bad descriptor: the write says which.
            if result > 0 || errno != EINTR { return true }
        }
    }

    /// Makes the output final: a temporary file is flushed to disk and renamed over the target; a descriptor
    /// or special file is closed.
    public func commit() throws(OutputFileError) {
        guard let descriptor else { return }
        self.descriptor = nil
        guard let temporary else {
            guard close(descriptor) == 0 else { throw OutputFileError(path: path, problem: .system(errno)) }
            return
        }
        self.temporary = nil
        defer { Self.release(temporary.slot) }
        var failure: Int32 = 0
        if fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary.path, temporary.target) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary.path)
            throw OutputFileError(path: path, problem: .system(failure))
        }
    }

    /// Abandons an output that was not committed: a temporary file is removed and the target left untouched.
    public func discard() {
        guard let descriptor else { return }
        self.descriptor = nil
        close(descriptor)
        if let temporary {
            unlink(temporary.path)
            Self.release(temporary.slot)
            self.temporary = nil
        }
    }

    /// From now on SIGINT, SIGTERM and SIGHUP remove every temporary file not yet committed, then end the
    /// process as the signal would have (a shell shows 128+N). A signal ignored at start-up (`nohup`, or a
    /// shell's background job) stays ignored. For programs whose output is their work; hybrid-run relays these
    /// signals to its command instead.
    public static func removeTemporaryFilesOnSignals() {
        let handled = cleanupSignals.filter { signal in
            var action = sigaction()
            // SIG_IGN is the handler address 1, which Swift cannot compare as a function.
            return sigaction(signal, nil, &action) == 0 && unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) != 1
        }
        _ = handled.withUnsafeBufferPointer { hr_install_temporary_cleanup($0.baseAddress, Int32($0.count)) }
    }

    /// Opens a FIFO or device for writing without creating or truncating it. Unless told to wait for a FIFO's
    /// reader the open does not block (a FIFO without a reader fails with `ENXIO`); writes then block as usual.
    private static func openInPlace(_ special: String, waitingForReader: Bool, path: String) throws(OutputFileError) -> Int32 {
        let flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (waitingForReader ? 0 : O_NONBLOCK)
        var fd: Int32
        repeat { fd = open(special, flags) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw OutputFileError(path: path, problem: errno == ENXIO ? .noReader : .system(errno)) }
        if !waitingForReader { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return fd
    }

    /// Creates `.NAME.XXXXXX` next to `target` with mode 0666 (the kernel applies the umask) and registers it
    /// for removal on a signal. The handled signals are blocked in this thread meanwhile, so the handler, on
    /// whichever thread it runs, finds the file registered or not yet created, never half-way.
    private static func createTemporary(next target: String, path: String) throws(OutputFileError) -> (fd: Int32, path: String, slot: Int32) {
        let (directory, name) = OutputTarget.split(target)
        let prefix = OutputTarget.join(directory, "." + name + ".")
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for signal in cleanupSignals { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let slot = hr_temporary_claim()
        var candidate = ""
        var fd: Int32 = -1
        for _ in 0..<100 {
            candidate = prefix + String((0..<6).map { _ in temporaryNameCharacters.randomElement()! })
            fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || (errno != EEXIST && errno != EINTR) { break }
        }
        guard fd >= 0 else {
            let error = errno
            release(slot)
            throw OutputFileError(path: path, problem: error == ENOENT ? .missingDirectory(directory.isEmpty ? "." : directory) : .system(error))
        }
        if slot >= 0 { hr_temporary_arm(slot, candidate) }
        return (fd, candidate, slot)
    }

    private static let temporaryNameCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    private static func release(_ slot: Int32) {
        if slot >= 0 { hr_temporary_release(slot) }
    }
}
