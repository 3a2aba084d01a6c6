import NIOCore

/// Shows what the child sends to the stream watcher, then passes it on untouched.
final class TeeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var stream: OTLPClientStream
    private let store: CaptureStore

    init(store: CaptureStore, bodyLimit: Int) {
        self.store = store
        stream = OTLPClientStream(bodyLimit: bodyLimit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let bodies = buffer.withUnsafeReadableBytes { stream.consume($0) }
        if !bodies.isEmpty { store.add(bodies) }
        context.fireChannelRead(data)
    }
}
