/// A server's answer: status, headers of the final response (not of a proxy's `CONNECT` or a `100 Continue`),
/// and the start of the body.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header lines in order, names as the server wrote them.
    public var headers: [HTTPHeader]
    /// At most the client's body limit; the rest is read and discarded.
    public var body: [UInt8]
    /// `1.1` or `2`, as negotiated (ALPN over TLS).
    public var httpVersion: String

    public init(status: Int, headers: [HTTPHeader], body: [UInt8], httpVersion: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
