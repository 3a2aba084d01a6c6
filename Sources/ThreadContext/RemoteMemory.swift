import Glibc
import _CProcessShims

/// Reads another process's memory with `process_vm_readv`: a read of an unmapped or unreadable address fails
/// (returns `false`), it never faults the reader. Each call is one system call, the cost of a read (about 1.5 µs).
struct RemoteMemory {
    let pid: pid_t

    /// Fills all of `buffer` from `address`, or returns `false`.
    func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        readPrefix(address, into: buffer) == buffer.count
    }

    /// Fills as much of `buffer` from `address` as is mapped, up to the first unreadable page; returns how much.
    /// For a record of unknown length: one call reads it whole wherever it ends.
    func readPrefix(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard buffer.count > 0, !address.addingReportingOverflow(UInt64(buffer.count)).overflow else { return 0 }
        let page: UInt64 = 4096
        let split = min(UInt64(buffer.count), (address & ~(page - 1)) &+ page &- address)
        var local = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var remote = (iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: Int(split)),
                      iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address &+ split)), iov_len: buffer.count - Int(split)))
        let pieces: UInt = split < UInt64(buffer.count) ? 2 : 1
        let count = withUnsafeMutableBytes(of: &remote) { remotes in
            hr_process_vm_readv(pid, &local, 1, remotes.baseAddress!.assumingMemoryBound(to: iovec.self), pieces)
        }
        return max(0, count)
    }

    /// The `T` at `address`, or `nil` when it cannot be read.
    func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt64) -> T? {
        var value: T = 0
        return withUnsafeMutableBytes(of: &value) { read(address, into: $0) } ? value : nil
    }

    /// The `A` at `first` and the `B` at `second`, in one system call; `nil` unless both can be read.
    func load<A: FixedWidthInteger, B: FixedWidthInteger>(_ a: A.Type, at first: UInt64, _ b: B.Type, at second: UInt64) -> (A, B)? {
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
