/// A statement the server refused, or a connection lost mid-load.
public struct PostgresError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE (`23505` for a unique violation); nil when the connection failed.
    public let sqlState: String?
    public let message: String

    public var description: String {
        sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message
    }

    static let uniqueViolation = "23505"
    /// What a COPY that the client ended with `PQputCopyEnd(…, reason)` fails with.
    static let queryCanceled = "57014"
}

/// The server could not be reached or refused the login.
public struct ConnectionError: Error, CustomStringConvertible {
    /// `host:port` that was tried.
    public let address: String
    /// The server's or the operating system's reason, on one line.
    public let reason: String

    public var description: String { "cannot connect to PostgreSQL at \(address): \(reason)" }
}
