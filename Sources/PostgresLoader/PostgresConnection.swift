import CLibPQ
import SafeText

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection, used from one task at a time.
///
/// libpq rather than a Swift driver so that URLs, `sslmode`, the `PG*` variables and `.pgpass` behave
/// exactly as in psql. Every call blocks; loader-otel does one thing at a time.
final class PostgresConnection {
    private let connection: OpaquePointer
    /// Masks the connection string's credentials, and whatever else ``Redaction`` recognises, in libpq's and the
    /// server's messages: libpq quotes pieces of a malformed connection string (the whole URL, or just
    /// `"p%zz"` of a password it cannot decode), and errors reach spans and the terminal.
    private let scrubber: SecretScrubber

    /// Where the connection went, for spans and messages (never the password).
    let host: String
    let port: Int
    let database: String

    /// Connects, retrying briefly (attempts after 0.25 s and 0.75 s) so a server that is just starting is
    /// waited for, while a wrong address or password still fails within about a second, and a black-holed
    /// host within about ten (three attempts of `connect_timeout`, 3 s unless the URL or `PGCONNECT_TIMEOUT` says otherwise).
    /// - Parameter url: a `postgres://` URL or a libpq `key=value` string; the `PG*` variables fill in the rest.
    static func connect(url: String, environment: [String: String], applicationName: String) throws(ConnectionError) -> PostgresConnection {
        var keywords = ["fallback_application_name", "dbname", "client_encoding"]
        var values = [applicationName, url, "UTF8"]
        if environment["PGCONNECT_TIMEOUT"] == nil {
            // Before dbname, so a connect_timeout in the URL wins; a black-holed host fails in seconds, not minutes.
            keywords.insert("connect_timeout", at: 0)
            values.insert("3", at: 0)
        }
        let scrubber = SecretScrubber(secrets: Redaction.credentials(in: url))
        var lastError: ConnectionError?
        for delay in [0, 250_000, 750_000] as [UInt32] {
            if delay > 0 { usleep(delay) }
            let connection = withCStringArray(keywords) { keywordPointers in
                withCStringArray(values) { valuePointers in
                    PQconnectdbParams(keywordPointers, valuePointers, 1)
                }
            }
            guard let connection else { throw ConnectionError(address: "?", reason: "out of memory") }
            if PQstatus(connection) == CONNECTION_OK {
                // libpq prints NOTICEs (`relation "orders" already exists, skipping`) to stderr by default.
                PQsetNoticeProcessor(connection, { _, _ in }, nil)
                return PostgresConnection(connection, scrubber: scrubber)
            }
            lastError = ConnectionError(address: Self.address(of: connection, environment: environment),
                                        reason: scrubber.scrub(Self.reason(PQerrorMessage(connection))))
            PQfinish(connection)
        }
        throw lastError!
    }

    private init(_ connection: OpaquePointer, scrubber: SecretScrubber) {
        self.connection = connection
        self.scrubber = scrubber
        host = PQhost(connection).map { String(cString: $0) } ?? ""
        port = PQport(connection).flatMap { Int(String(cString: $0)) } ?? 5432
        database = PQdb(connection).map { String(cString: $0) } ?? ""
    }

    deinit {
        PQfinish(connection)
    }

    /// Runs one statement (no parameters) and returns how many rows it affected.
    @discardableResult
    func execute(_ sql: String) throws(PostgresError) -> Int {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        return try check(result, expecting: PGRES_COMMAND_OK)
    }

    /// Runs one query and returns its rows as text (`nil` for SQL NULL). Parameters (`$1`, …) travel apart
    /// from the SQL, so a table name or any other value needs no quoting.
    func query(_ sql: String, parameters: [String] = []) throws(PostgresError) -> [[String?]] {
        let result = withCStringArray(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        _ = try check(result, expecting: PGRES_TUPLES_OK)
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// Starts `COPY … FROM STDIN`; follow with ``sendCopyData(_:)`` and ``endCopy(failure:)``.
    func beginCopy(_ sql: String) throws(PostgresError) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        _ = try check(result, expecting: PGRES_COPY_IN)
    }

    /// Sends COPY data. Returns false when the server has already answered, which during COPY only an
    /// error does (a conflicting row, say): the caller should stop and call ``endCopy(failure:)`` to read it.
    func sendCopyData(_ bytes: [UInt8]) throws(PostgresError) -> Bool {
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else { throw connectionFailure() }
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// Ends the COPY: commits its rows to the transaction, or aborts it with `failure` as the reason.
    /// - Returns: the number of rows copied.
    @discardableResult
    func endCopy(failure: String? = nil) throws(PostgresError) -> Int {
        guard PQputCopyEnd(connection, failure) == 1 else { throw connectionFailure() }
        var outcome: Result<Int, PostgresError> = .failure(connectionFailure())
        var first = true
        while let result = PQgetResult(connection) {
            if first { outcome = Result { () throws(PostgresError) in try check(result, expecting: PGRES_COMMAND_OK) } }
            first = false
            PQclear(result)
        }
        return try outcome.get()
    }

    private func check(_ result: OpaquePointer?, expecting expected: ExecStatusType) throws(PostgresError) -> Int {
        guard let result else { throw connectionFailure() }
        guard PQresultStatus(result) == expected else {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            throw PostgresError(sqlState: state, message: scrubber.scrub(message ?? Self.reason(PQerrorMessage(connection))))
        }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private func connectionFailure() -> PostgresError {
        PostgresError(sqlState: nil, message: scrubber.scrub(Self.reason(PQerrorMessage(connection))))
    }

    /// `host:port` as libpq resolved them (a socket directory stands for the host when there is no TCP host).
    private static func address(of connection: OpaquePointer, environment: [String: String]) -> String {
        let host = PQhost(connection).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "localhost"
        let port = PQport(connection).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGPORT"] ?? "5432"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// libpq's message reduced to the server's or the socket's reason, on one line:
    /// `connection to server at "h" (::1), port 5432 failed: FATAL:  password authentication failed…` →
    /// `password authentication failed…`.
    static func reason(_ message: UnsafePointer<CChar>?) -> String {
        var text = message.map { String(cString: $0) } ?? "unknown error"
        if let firstLine = text.split(separator: "\n").first { text = String(firstLine) }
        if let failed = text.range(of: " failed: ") { text = String(text[failed.upperBound...]) }
        for prefix in ["FATAL:  ", "ERROR:  "] where text.hasPrefix(prefix) {
            text.removeFirst(prefix.count)
        }
        return text.trimmingCharacters(in: " \t\r")
    }
}

/// Calls `body` with a NULL-terminated array of C strings, as libpq's `*Params` functions take them.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
