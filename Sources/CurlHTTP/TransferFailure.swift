/// Why a request got no answer, in words safe to show: credentials of the URL and the proxy are masked.
public struct TransferFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request timeout passed (connecting included).
        case timedOut
        /// The server's certificate did not verify against the trusted CAs.
        case untrustedCertificate
        /// Anything else: refused, unreachable, name not found, proxy refused the tunnel, connection lost.
        case other
    }

    public var kind: Kind
    /// libcurl's own account (e.g. `Failed to connect to host port 4040 after 0 ms: Couldn't connect to server`),
    /// scrubbed of credentials.
    public var message: String
    /// The proxy the request went through (credentials masked), if any.
    public var proxy: String?

    public init(kind: Kind, message: String, proxy: String?) {
        self.kind = kind
        self.message = message
        self.proxy = proxy
    }

    /// The message, and the proxy when there was one: a failure through a proxy is often the proxy's.
    public var description: String {
        message + (proxy.map { " (through proxy \($0))" } ?? "")
    }
}
