import Logging
import NIOCore
import NIOPosix

/// The child's side of a relayed connection until the collector's side is connected: holds reads (at most the
/// first bytes, which tell the protocol when the port depends on it), connects, then joins the two channels with
/// a ``GlueHandler`` pair and steps aside.
///
/// When the collector cannot be reached, the child's connection is reset: the child's exporter sees a failed
/// export, as it would have seen a refused connection without the relay.
final class ConnectHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingFirstBytes
        case connecting
        case joined
    }

    private var state = State.awaitingFirstBytes
    private var pending: [NIOAny] = []
    private var readPending = false
    private var upstreamChannel: (any Channel)?
    private let upstream: RelayUpstream
    private let connections: RelayConnections
    private let logger: Logger

    init(upstream: RelayUpstream, connections: RelayConnections, logger: Logger) {
        self.upstream = upstream
        self.connections = connections
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        if let port = upstream.port { connect(context: context, port: port) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(data)
        if case .awaitingFirstBytes = state {
            let first = unwrapInboundIn(data)
            let http2 = first.withUnsafeReadableBytes { OTLPClientStream.isHTTP2($0) } ?? true
            connect(context: context, port: upstream.port(http2: http2))
        }
    }

    func read(context: ChannelHandlerContext) {
        if case .awaitingFirstBytes = state {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstreamChannel?.close(promise: nil)
        context.fireChannelInactive()
    }

    private func connect(context: ChannelHandlerContext, port: Int) {
        state = .connecting
        // No timeout of ours: against a black-holed collector the child's own export timeout decides, as without
        // the relay. (If the child gives up first, its connection closes and this connect is abandoned.)
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.minutes(10))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: upstream.host, port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel): self.join(context: context, upstream: channel)
                case .failure(let error): self.refuse(context: context, error, port: port)
                }
            }
    }

    private func join(context: ChannelHandlerContext, upstream channel: any Channel) {
        guard context.channel.isActive else {
            channel.close(promise: nil)
            return
        }
        upstreamChannel = channel
        connections.add(channel)
        let (local, remote) = GlueHandler.matchedPair()
        do {
            try channel.pipeline.syncOperations.addHandler(remote)
            try context.pipeline.syncOperations.addHandler(local, position: .after(self))
        } catch {
            channel.close(promise: nil)
            context.close(promise: nil)
            return
        }
        state = .joined
        for data in pending { context.fireChannelRead(data) }
        pending = []
        context.fireChannelReadComplete()
        let read = readPending
        let inbound = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        // From the pipeline's end, through the glue, which reads while the collector's side can take it.
        if read { inbound.read() }
    }

    private func refuse(context: ChannelHandlerContext, _ error: any Error, port: Int) {
        logger.debug("OTLP relay: cannot reach \(upstream.host):\(port) (\(error)); resetting the child's connection")
        pending = []
        // SO_LINGER 0: close with a reset, the nearest a relay can come to the refusal the child would have seen.
        guard let socket = context.channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
