import Logging
import NIOCore
import NIOPosix
import TraceSpans

/// A local endpoint for a child's OTLP trace exporter that forwards every connection byte for byte to the
/// collector the child would have used (same protocol, headers, body; the collector's answers go back the same
/// way) and keeps a copy of the export requests: how the HTML report gets the spans the command exported.
///
/// Bounded: forwarding applies back-pressure instead of buffering, copies are capped (``copyLimit``), and
/// ``stop()`` closes every connection at once. Plain TCP only: an exporter using TLS is not redirected at all
/// (see ``ChildTraceExport``).
public final class OTLPRelay: Sendable {
    /// The port on 127.0.0.1 the child's exporter is pointed at.
    public let port: Int
    private let server: any Channel
    private let connections: RelayConnections
    private let store: CaptureStore

    /// Bytes of export requests kept in all.
    public static let copyLimit = 64 << 20

    private init(port: Int, server: any Channel, connections: RelayConnections, store: CaptureStore) {
        self.port = port
        self.server = server
        self.connections = connections
        self.store = store
    }

    public static func start(upstream: RelayUpstream, logger: Logger) async throws -> OTLPRelay {
        let connections = RelayConnections()
        let store = CaptureStore(limit: copyLimit)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    try channel.pipeline.syncOperations.addHandlers([
                        TeeHandler(store: store, bodyLimit: copyLimit),
                        ConnectHandler(upstream: upstream, connections: connections, logger: logger),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = server.localAddress?.port else {
            try? await server.close()
            throw RelayError.noPort
        }
        return OTLPRelay(port: port, server: server, connections: connections, store: store)
    }

    /// Closes the endpoint and every connection, and returns the spans that crossed it.
    public func stop() async -> RelayedSpans {
        try? await server.close()
        await connections.closeAll()
        let (bodies, dropped) = store.take()
        return RelayedSpans(spans: bodies.flatMap(OTLPTraceDecoder.spans), requests: bodies.count, requestsNotKept: dropped)
    }
}

/// What ``OTLPRelay/stop()`` returns.
public struct RelayedSpans: Sendable {
    public var spans: [TraceSpan]
    /// Export requests kept, and those relayed but not kept (over the copy limit).
    public var requests: Int
    public var requestsNotKept: Int
}

enum RelayError: Error, CustomStringConvertible {
    case noPort
    var description: String { "the OTLP relay has no local port" }
}
