/// Where the relay forwards a child's connections: the collector the child would have reached itself.
public struct RelayUpstream: Sendable, Equatable {
    public var host: String
    /// `nil` when the child configured no endpoint: OTLP's default port then depends on the protocol the
    /// child speaks, which the relay tells from its first bytes (4317 for gRPC, 4318 for HTTP).
    public var port: Int?

    public init(host: String, port: Int?) {
        self.host = host
        self.port = port
    }

    /// The port for a connection whose first bytes are, or are not, HTTP/2's preface.
    func port(http2: Bool) -> Int {
        port ?? (http2 ? 4317 : 4318)
    }
}
