import Binaries
import Glibc
import Profiles
import Unwinding

/// Reads where a blocked thread waits without stopping it: the stack and instruction pointers the kernel saved
/// when the thread entered its syscall (`/proc/PID/task/TID/syscall`: `nr a1 … a6 sp pc`, or `running`), and a
/// copy of its stack from there (`process_vm_readv`), unwound like a sample.
///
/// Neither read interrupts the thread (a traced thread blocked in `read` gets its byte), and both need only what
/// ptrace would (same user, dumpable process): no privileges. The kernel reports `sp`/`pc` only for a thread
/// that is off the CPU, and the copy is kept only if the thread was not scheduled in between (its `schedstat`
/// count unchanged), so registers and stack belong to one blocked moment. Only `sp` and `pc` are known: every
/// glibc blocking wrapper finds its return address from `sp` (CFA = rsp + N); a caller whose CFA needs `rbp` gets it
/// from a frame that saved it, or from the frame-pointer search of ``Unwinder`` (`framePointerIsKnown` false).
/// The span the thread published (OTEP 4947) is read in the same blocked moment, so its off-CPU time is labelled.
final class BlockedStackProbe {
    enum Outcome {
        /// The thread was blocked at `time` (CLOCK_MONOTONIC ns); its stack is the registry's last unwound one.
        /// `complete`: every frame lay in a known module (else the process's mappings may not be read up to now yet).
        /// `span`: the span the thread published, read while it was blocked; `nil` when it published none.
        case observed(time: UInt64, complete: Bool, span: SpanLabels?)
        /// Running, runnable, scheduled during the read, or gone: look again later.
        case notBlocked
        /// `/proc/TID/syscall` is refused (another user, a non-dumpable process, Yama, hidepid).
        case refused(errno: Int32)
    }

    private let snapshot: ThreadSnapshot
    /// Unwinds a snapshot of the process (into ``ProcessRegistry/frames``) and says whether every frame lay in a known
    /// module: the sampler's own way, which brings the process's modules up to date first where it reads them itself.
    private let unwind: (ThreadSnapshot, SampledProcess) -> Bool

    init(stackCopySize: Int, unwind: @escaping (ThreadSnapshot, SampledProcess) -> Bool) {
        snapshot = ThreadSnapshot(stackCapacity: stackCopySize)
        snapshot.framePointerIsKnown = false
        self.unwind = unwind
    }

    func observe(_ process: SampledProcess, tid: pid_t) -> Outcome {
        let directory = "/proc/\(process.pid)/task/\(tid)"
        let schedstat = open(directory + "/schedstat", O_RDONLY | O_CLOEXEC)
        guard schedstat >= 0 else { return .notBlocked }
        defer { close(schedstat) }
        guard let before = SchedulerStatistics.read(schedstat) else { return .notBlocked }
        let registers: (sp: UInt64, pc: UInt64)
        switch Self.blockedRegisters(path: directory + "/syscall") {
        case let .success(read?): registers = read
        case .success(nil): return .notBlocked
        case let .failure(error):
            let passing = error.code == ENOENT || error.code == ESRCH || Self.isOurs(directory + "/syscall") || Self.hasReleasedItsMemory(directory)
            return passing ? .notBlocked : .refused(errno: error.code)
        }
        let time = UInt64(clamping: Clock.monotonic())
        snapshot.registers = user_regs_struct()
        snapshot.registers.rsp = registers.sp
        snapshot.registers.rip = registers.pc
        snapshot.stackStart = registers.sp
        snapshot.useBuffer(length: RemoteMemory(pid: tid).readPrefix(registers.sp, into: snapshot.stackBuffer))
        // Unwound first: that makes the process's span reader, with its modules brought up to date.
        let complete = unwind(snapshot, process)
        // OTEP 4947 lets a reader read a thread's record only while the thread is stopped or interrupted, so that it
        // cannot be swapping or rewriting it: a thread blocked from its syscall registers to the unchanged `schedstat`
        // below runs no code either. Its span is read in that window, for both samplers (the tracer does not stop a
        // blocked thread), with the thread pointer from glibc's thread list as perf samples are read.
        let span = process.threadContext?.spanLabels(tid: tid)
        guard SchedulerStatistics.read(schedstat)?.timesScheduled == before.timesScheduled else { return .notBlocked }
        return .observed(time: time, complete: complete, span: span)
    }

    struct ReadError: Error { var code: Int32 }

    /// Whether a thread's `/proc` file is still owned by us: the kernel gives a non-dumpable process's files to root
    /// (`task_dump_owner`), so a refusal of a file that is still ours is a passing one (a thread exiting, its memory
    /// already released), not a process that hides itself.
    private static func isOurs(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && information.st_uid == geteuid()
    }

    /// Whether the thread is exiting, its memory already released: the kernel then gives its files to root
    /// (`task_dump_owner` with no `mm`) and refuses `syscall`, for a moment, for a process of our own (seen at the end
    /// of a run as an unprivileged user: the main thread exiting while its last threads were still torn down).
    /// `statm` reads all zeros without an `mm`.
    private static func hasReleasedItsMemory(_ directory: String) -> Bool {
        let descriptor = open(directory + "/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno == ENOENT || errno == ESRCH }
        defer { close(descriptor) }
        var first = (UInt8(0), UInt8(0))
        let count = withUnsafeMutableBytes(of: &first) { read(descriptor, $0.baseAddress, 2) }
        return count == 2 && first.0 == UInt8(ascii: "0") && first.1 == UInt8(ascii: " ")
    }

    /// `sp` and `pc` of a thread off the CPU, `nil` for one on it (`running`).
    ///
    /// The kernel's `proc_pid_syscall` writes `running`, `-1 sp pc` (blocked outside a syscall: a page fault) or
    /// `nr a1 a2 a3 a4 a5 a6 sp pc`, numbers after `nr` in hex with `0x`: `sp` and `pc` are the last two words.
    static func blockedRegisters(path: String) -> Result<(sp: UInt64, pc: UInt64)?, ReadError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(ReadError(code: errno)) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return count == 0 ? .success(nil) : .failure(ReadError(code: errno)) }
        return .success(parse(buffer[0..<count]))
    }

    static func parse(_ line: ArraySlice<UInt8>) -> (sp: UInt64, pc: UInt64)? {
        let words = line.split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
        guard words.count == 3 || words.count == 9,
              let sp = hexadecimal(words[words.count - 2]), let pc = hexadecimal(words[words.count - 1]) else { return nil }
        return (sp, pc)
    }

    private static func hexadecimal(_ word: ArraySlice<UInt8>) -> UInt64? {
        guard word.starts(with: "0x".utf8) else { return nil }
        return UInt64(String(decoding: word.dropFirst(2), as: UTF8.self), radix: 16)
    }
}
