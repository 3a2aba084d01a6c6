import Glibc
import _CProcessShims

/// Reads another process's memory with `process_vm_readv`: a read of an unmapped or unreadable address fails
/// (returns `false`), it never faults the reader.
struct RemoteMemory {
    let pid: pid_t

    /// Fills all of `buffer` from `address`, or returns `false`.
    func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard buffer.count > 0, !address.addingReportingOverflow(UInt64(buffer.count)).overflow else { return buffer.count == 0 }
        var local = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var remote = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: buffer.count)
        return hr_process_vm_readv(pid, &local, 1, &remote, 1) == buffer.count
    }

    /// The `T` at `address`, or `nil` when it cannot be read.
    func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt64) -> T? {
        var value: T = 0
        return withUnsafeMutableBytes(of: &value) { read(address, into: $0) } ? value : nil
    }
}
