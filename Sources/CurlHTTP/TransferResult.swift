/// How one HTTP request through ``CurlHTTPClient`` ended.
public enum TransferResult: Sendable {
    /// The server answered (any status: classifying it is the caller's business).
    case response(HTTPResponse)
    /// No answer: the connection, the proxy, TLS or the timeout failed.
    case failed(TransferFailure)
    /// The calling task was cancelled; the transfer was abandoned at once.
    case cancelled
}
