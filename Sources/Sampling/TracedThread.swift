import Glibc
import Binaries
import _CProcessShims
import Unwinding

/// A thread the tracer follows, with what it needs to sample it cheaply.
final class TracedThread {
    let tid: pid_t
    let process: TracedProcess
    /// Held by ``PTRACE_LISTEN`` in a group stop (job control): stopped on purpose, not sampled.
    var isListening = false
    /// Filled at the last stop, waiting to be unwound.
    var hasSnapshot = false
    private(set) lazy var snapshot = ThreadSnapshot(stackCapacity: stackCapacity)
    /// `/proc/PID/task/TID/stat`, kept open so a state check is one `pread`.
    private var statDescriptor: Int32 = -1
    private let stackCapacity: Int

    init(tid: pid_t, process: TracedProcess, stackCapacity: Int) {
        self.tid = tid
        self.process = process
        self.stackCapacity = stackCapacity
    }

    deinit {
        if statDescriptor >= 0 { close(statDescriptor) }
    }

    /// The thread's name (as `prctl(PR_SET_NAME)` or the program name set it) when ``isRunning()`` last read it.
    private(set) var name = ""

    /// Whether the scheduler has the thread running or runnable (state `R`): only those cost CPU. Notes the
    /// thread's name on the way, which the same line holds.
    func isRunning() -> Bool {
        if statDescriptor < 0 {
            statDescriptor = open("/proc/\(process.pid)/task/\(tid)/stat", O_RDONLY | O_CLOEXEC)
            guard statDescriptor >= 0 else { return false }
        }
        // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { bytes in
            let count = pread(statDescriptor, bytes.baseAddress, bytes.count, 0)
            guard count > 0, let open = bytes[0..<count].firstIndex(of: UInt8(ascii: "(")),
                  let close = bytes[0..<count].lastIndex(of: UInt8(ascii: ")")), open < close, close + 2 < count else {
                return false
            }
            name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
            return bytes[close + 2] == UInt8(ascii: "R")
        }
    }

    /// Copies registers and the stack top of the stopped thread; `false` if the thread is gone.
    func capture() -> Bool {
        let snapshot = snapshot
        guard Ptrace.getRegisters(tid, into: &snapshot.registers) == 0 else { return false }
        snapshot.stackStart = snapshot.registers.rsp
        snapshot.useBuffer(length: copyStack(from: snapshot.registers.rsp, into: snapshot.stackBuffer))
        hasSnapshot = true
        return true
    }

    /// One `process_vm_readv`, split at page boundaries: the copy stops at the first unmapped page (the
    /// end of the stack) instead of failing as a whole. The stack pointer is whatever the thread left in
    /// it, up to the top of the address space, so the range is cut there rather than wrapped.
    private func copyStack(from start: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let page: UInt64 = 4096
        var remote: [iovec] = []
        remote.reserveCapacity(buffer.count / Int(page) + 1)
        var address = start
        let end = start.addingReportingOverflow(UInt64(buffer.count)).overflow ? UInt64.max : start + UInt64(buffer.count)
        while address < end {
            let pageEnd = (address & ~(page - 1)) &+ page
            let next = pageEnd == 0 ? end : min(pageEnd, end)
            remote.append(iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: Int(next - address)))
            address = next
        }
        var local = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let copied = hr_process_vm_readv(tid, &local, 1, remote, UInt(remote.count))
        return max(copied, 0)
    }
}
