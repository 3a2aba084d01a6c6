import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on 127.0.0.1 (a free port) that accepts connections and never reads or answers: a collector
/// or Pyroscope server that is "up" but black-holed. Every connection stays open until `close()`.
public final class BlackHoleListener: @unchecked Sendable {
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }
    /// `127.0.0.1:PORT`.
    public var hostAndPort: String { "127.0.0.1:\(port)" }

    private let listener: Int32
    private let state = State()

    /// Shared with the accept thread, which does not retain the listener (so deinit can close it).
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var accepted: [Int32] = []
        var closed = false
        var acceptedCount = 0
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let message = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw Failure(description: "bind/listen: \(message)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let state = self.state
        let thread = Thread { Self.acceptLoop(listener: fd, state: state) }
        thread.name = "BlackHoleListener:\(port)"
        thread.start()
    }

    /// How many connections were accepted so far.
    public var connectionCount: Int { state.lock.withLock { state.acceptedCount } }

    /// Accepts until `close()`; only this thread ever closes the listening descriptor, so it can never accept on
    /// a descriptor number that was closed and reused by another socket meanwhile.
    private static func acceptLoop(listener: Int32, state: State) {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break  // shut down by close()
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let keep = state.lock.withLock { () -> Bool in
                if state.closed { return false }
                state.accepted.append(connection)
                state.acceptedCount += 1
                return true
            }
            if !keep {
                _ = Glibc.close(connection)
                break
            }
        }
        _ = Glibc.close(listener)
    }

    /// Stops listening (new connections are refused) and closes every held connection (the clients see EOF).
    public func close() {
        let connections = state.lock.withLock { () -> [Int32]? in
            if state.closed { return nil }
            state.closed = true
            defer { state.accepted.removeAll() }
            return state.accepted
        }
        guard let connections else { return }
        // Wakes a blocked accept() (or makes the next one fail at once); the accept thread closes the descriptor.
        _ = shutdown(listener, Int32(SHUT_RDWR))
        for connection in connections { _ = Glibc.close(connection) }
    }

    deinit { close() }
}
