import Glibc
import _CProcessShims

/// Reads another process's memory with `process_vm_readv`: a read of an unmapped or unreadable address fails
/// (returns `false`, or stops short), it never faults the reader. Each call is one system call, the cost of a read
/// (about 1.5 µs). Both samplers copy stacks with it, and the thread-context reader reads records.
public struct RemoteMemory: Sendable {
    public let pid: pid_t

    /// - Parameter pid: the process, or any of its threads.
    public init(pid: pid_t) { self.pid = pid }

    /// Fills all of `buffer` from `address`, or returns `false`.
    public func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        readPrefix(address, into: buffer) == buffer.count
    }

    /// Fills as much of `buffer` from `address` as is readable, up to the first unreadable page; returns how much.
    /// One `process_vm_readv`, split at page boundaries, so that the copy stops at the first unmapped page (the end
    /// of a stack, a record at the end of its mapping) instead of failing as a whole. An address is whatever the
    /// other process left (a stack pointer, a record pointer), up to the top of the address space, so the range is
    /// cut there rather than wrapped.
    public func readPrefix(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let page: UInt64 = 4096
        let end = address.addingReportingOverflow(UInt64(buffer.count)).overflow ? UInt64.max : address + UInt64(buffer.count)
        guard end > address else { return 0 }
        let pages = Int((end - 1) / page - address / page) + 1
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: pages) { remote in
            var start = address
            var count = 0
            while start < end {
                let pageEnd = (start & ~(page - 1)) &+ page
                let next = pageEnd == 0 ? end : min(pageEnd, end)
                remote[count] = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(start)), iov_len: Int(next - start))
                count += 1
                start = next
            }
            var local = iovec(iov_base: buffer.baseAddress, iov_len: Int(end - address))
            return max(0, hr_process_vm_readv(pid, &local, 1, remote.baseAddress, UInt(count)))
        }
    }

    /// Fills `local` from the `remote` ranges, in order, in one `process_vm_readv`; returns how many bytes were
    /// copied (the copy stops at the first range that cannot be read). Several ranges read in one call are read
    /// in their order, microseconds apart at most: a reader can bracket a record between two reads of its pointer.
    public func read(_ remote: UnsafeBufferPointer<iovec>, into local: UnsafeBufferPointer<iovec>) -> Int {
        max(0, hr_process_vm_readv(pid, local.baseAddress, UInt(local.count), remote.baseAddress, UInt(remote.count)))
    }

    /// The `T` at `address`, or `nil` when it cannot be read.
    public func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt64) -> T? {
        var value: T = 0
        return withUnsafeMutableBytes(of: &value) { read(address, into: $0) } ? value : nil
    }
}
