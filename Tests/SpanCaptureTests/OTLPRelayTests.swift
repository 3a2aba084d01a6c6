import Foundation
import Glibc
import Logging
@testable import SpanCapture
import Testing
import TestSupport

/// The relay between a client and the real OTLP stand-in, over real sockets.
@Suite struct OTLPRelayTests {
    /// One HTTP/1.1 exchange on a fresh connection: the request's bytes out, whatever comes back until the peer
    /// closes (`Connection: close`) or resets; `nil` when the connection failed before any answer.
    static func exchange(port: Int, _ request: [UInt8]) throws -> (answer: [UInt8], failed: Bool) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return ([], true) }
        // A reset is reported once, to whichever call comes first: a send that fails has seen the connection fail.
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent >= 0 else { return ([], true) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { answer += buffer[0..<n]; continue }
            return (answer, n < 0)
        }
    }

    static func newTraceID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// An OTLP/HTTP JSON export of one span of a fresh trace.
    static func export(traceID: String, host: String) -> [UInt8] {
        let body = OTLPTraceDecoderTests.json.replacingOccurrences(of: "5B8EFFF798038103D269B633813FC60C", with: traceID)
        return Array(("POST /v1/traces HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nX-Relay-Test: kept\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).utf8)
    }

    @Test func forwardsTheRequestUnchangedAndKeepsItsSpans() async throws {
        let receiver = try OTLPReceiver.shared
        let upstream = RelayUpstream(host: "127.0.0.1", port: receiver.httpEndpoint.port!)
        let relay = try await OTLPRelay.start(upstream: upstream, logger: Logger(label: "test"))
        let traceID = Self.newTraceID()
        let (answer, failed) = try Self.exchange(port: relay.port, Self.export(traceID: traceID, host: "127.0.0.1:\(relay.port)"))
        let relayed = await relay.stop()
        #expect(!failed)
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"), "the collector's answer comes back")
        let received = try await receiver.waitForSpans(traceID: traceID, count: 1)
        #expect(received.first?.name == "load" && received.first?.serviceName == "loader")
        #expect(relayed.spans.map(\.traceID) == [traceID] && relayed.spans.first?.name == "load")
        #expect(relayed.requests == 1 && relayed.requestsNotKept == 0)
        #expect(try await receiver.requests().contains { $0.headers["x-relay-test"] == "kept" }, "headers pass unchanged")
    }

    /// The collector down: the child's connection fails as a direct one would (reset instead of refused).
    @Test func aDownCollectorFailsTheChildsRequest() async throws {
        let down = try ClosedPort()
        let direct = try Self.exchange(port: down.port, Self.export(traceID: Self.newTraceID(), host: down.hostAndPort))
        #expect(direct.failed && direct.answer.isEmpty)
        let relay = try await OTLPRelay.start(upstream: RelayUpstream(host: "127.0.0.1", port: down.port), logger: Logger(label: "test"))
        let relayed = try Self.exchange(port: relay.port, Self.export(traceID: Self.newTraceID(), host: down.hostAndPort))
        _ = await relay.stop()
        #expect(relayed.failed && relayed.answer.isEmpty, "no answer, a failed connection")
    }

    @Test func stoppingClosesOpenConnections() async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        let relay = try await OTLPRelay.start(upstream: RelayUpstream(host: "127.0.0.1", port: listener.port), logger: Logger(label: "test"))
        let port = relay.port
        async let exchange = Task.detached { try Self.exchange(port: port, Self.export(traceID: Self.newTraceID(), host: "x")) }.value
        _ = try await Poll.until(timeout: .seconds(10), "the relay connects to the collector") { listener.connectionCount > 0 ? true : nil }
        _ = await relay.stop()
        let result = try await exchange
        #expect(result.answer.isEmpty, "closed by the relay, not by the 20 s receive timeout")
    }
}
