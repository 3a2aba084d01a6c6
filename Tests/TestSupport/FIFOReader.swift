import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The reading end of a FIFO, held open by the test while a program under test writes into it, the way a
/// consumer (`flamegraph.pl < fifo`) would.
///
/// The FIFO is opened at once (non-blocking), so a writer that opens it later finds a reader. A thread reads
/// everything written until the writer closes it; ``finish()`` returns what arrived. Linux reports hang-up on
/// a FIFO only after a writer has connected, so a program that never opens it is told apart from one that
/// wrote nothing.
public final class FIFOReader: @unchecked Sendable {
    private let descriptor: Int32
    private let stop: (read: Int32, write: Int32)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var sawEndOfFile = false

    /// Opens `path`, which must be a FIFO, for reading and starts reading.
    public init(path: String) throws {
        descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            close(descriptor)
            throw error
        }
        stop = (fds[0], fds[1])
        Thread.detachNewThread { [self] in
            read()
            done.signal()
        }
    }

    /// Everything written so far and whether a writer connected and closed the FIFO (end of file).
    public func finish() -> (bytes: [UInt8], sawEndOfFile: Bool) {
        var byte: UInt8 = 0
        _ = write(stop.write, &byte, 1)
        done.wait()
        close(descriptor)
        close(stop.read)
        close(stop.write)
        return lock.withLock { (bytes, sawEndOfFile) }
    }

    private func read() {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: stop.read, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 {
                if drain() { return }
                continue
            }
            // Asked to stop, and nothing (more) to read: no writer connected, or it is still open.
            if fds[1].revents != 0 { return }
        }
    }

    /// Reads what is available; true at end of file.
    private func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                lock.withLock { bytes += buffer[0..<count] }
            } else if count == 0 {
                lock.withLock { sawEndOfFile = true }
                return true
            } else if errno != EINTR {
                return false
            }
        }
    }
}
