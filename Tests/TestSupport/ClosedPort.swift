import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A 127.0.0.1 port that refuses connections (a server that is down): a socket bound to it but never listening,
/// held until deinit, so that nothing else takes the port while the test runs (other tests, other test runs on
/// the machine, or a client's own ephemeral port, which would connect to itself).
///
/// Not a port that was free a moment ago (`BlackHoleListener` + `close()`, or bind + close): by the time the
/// program under test connects, someone may be listening on it.
public final class ClosedPort: Sendable {
    public let port: Int
    private let socketDescriptor: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "bind: \(message)")
        }
        socketDescriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// `127.0.0.1:PORT`.
    public var hostAndPort: String { "127.0.0.1:\(port)" }
    /// `http://127.0.0.1:PORT`.
    public var url: URL { URL(string: "http://\(hostAndPort)")! }

    deinit { close(socketDescriptor) }
}
