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

    /// The `T` at `address`, or `nil` when it cannot be read.
    public func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt64) -> T? {
        var value: T = 0
        return withUnsafeMutableBytes(of: &value) { read(address, into: $0) } ? value : nil
    }

    /// The `A` at `first` and the `B` at `second`, in one system call; `nil` unless both can be read.
    public func load<A: FixedWidthInteger, B: FixedWidthInteger>(_ a: A.Type, at first: UInt64, _ b: B.Type, at second: UInt64) -> (A, B)? {
        var values: (A, B) = (0, 0)
        let size = MemoryLayout<A>.size + MemoryLayout<B>.size
        let count = withUnsafeMutableBytes(of: &values.0) { firstLocal in
            withUnsafeMutableBytes(of: &values.1) { secondLocal in
                var locals = (iovec(iov_base: firstLocal.baseAddress, iov_len: firstLocal.count),
                              iovec(iov_base: secondLocal.baseAddress, iov_len: secondLocal.count))
                var remotes = (iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(first)), iov_len: firstLocal.count),
                               iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(second)), iov_len: secondLocal.count))
                return withUnsafeMutableBytes(of: &locals) { l in
                    withUnsafeMutableBytes(of: &remotes) { r in
                        hr_process_vm_readv(pid, l.baseAddress!.assumingMemoryBound(to: iovec.self), 2,
                                            r.baseAddress!.assumingMemoryBound(to: iovec.self), 2)
                    }
                }
            }
        }
        return count == size ? values : nil
    }
}
