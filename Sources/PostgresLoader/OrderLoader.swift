import Foundation
import Logging
import Records
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// Loads an order file into PostgreSQL atomically and idempotently.
///
/// Everything happens in one transaction, so a failure or `kill -9` at any moment leaves the table as it
/// was. The fast path `COPY`s straight into the table inside a savepoint; when an id is already there
/// (unique violation) the savepoint is rolled back and the file is read again into a temporary staging
/// table, merged with `INSERT … ON CONFLICT (id) DO NOTHING`. Input that cannot be read twice (standard
/// input, a pipe) takes the staging path directly. Each record is validated while it streams; the first
/// bad one aborts the COPY and the transaction.
///
/// Idempotence rests on the table's unique index on `id`, so a table without one is refused before anything
/// is loaded. Records the merge leaves out are counted, with the line of the first: later records of an id
/// the file already had (the first one is loaded), and records whose id the table holds with other values
/// (the table's row stays).
public final class OrderLoader {
    private let connection: PostgresConnection
    private let table: OrderTable
    private let logger: Logger
    /// COPY data goes to the server in pieces of this size.
    static let sendThreshold = 256 * 1024

    /// Connects (with a short bounded retry) inside a CLIENT span named `connect`.
    /// - Parameter url: a `postgres://` URL or libpq `key=value` string; never logged or put in a span.
    public init(url: String, table: OrderTable, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LoadError) {
        self.table = table
        self.logger = logger
        do {
            connection = try withSpan("connect", ofKind: .client) { span in
                span.attributes["db.system.name"] = "postgresql"
                do {
                    let connection = try PostgresConnection.connect(url: url, environment: environment, applicationName: "loader-otel")
                    Self.describe(connection, on: span)
                    return connection
                } catch {
                    span.attributes["error.type"] = "connection"
                    span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                    throw error
                }
            }
        } catch {
            throw Self.loadError(error, operation: "connect")
        }
    }

    /// Loads the records of `path` (`-` for standard input) into the table, creating it when missing.
    public func load(path: String) throws(LoadError) -> LoadSummary {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var status = stat()
        let rereadable = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG

        do {
            try statement("BEGIN", operation: "BEGIN", collection: nil)
            try prepareTable()
            let summary: LoadSummary
            if rereadable {
                try statement("SAVEPOINT loader_otel_direct", operation: "SAVEPOINT", collection: nil)
                let direct = table.copyStatement(into: table.quotedName)
                if let copied = try copy(from: JSONRecordReader(descriptor: descriptor), path: path, statement: direct, collection: table.name) {
                    summary = LoadSummary(records: copied.records, inserted: copied.rows)
                } else {
                    logger.debug("some ids are already in \(table.name): merging through a staging table")
                    try statement("ROLLBACK TO SAVEPOINT loader_otel_direct", operation: "ROLLBACK", collection: nil)
                    guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw LoadError.cannotOpen(path: path, errno: errno) }
                    summary = try merge(from: JSONRecordReader(descriptor: descriptor), path: path)
                }
            } else {
                summary = try merge(from: JSONRecordReader(descriptor: descriptor), path: path)
            }
            try statement("COMMIT", operation: "COMMIT", collection: nil)
            return summary
        } catch {
            // When the connection is gone there is nothing to undo: the server rolls back on its own.
            _ = try? connection.execute("ROLLBACK")
            throw Self.loadError(error, operation: "load")
        }
    }

    /// Creates the table when it is missing. An existing table is used as it is, without `CREATE TABLE IF NOT
    /// EXISTS`, which would need CREATE on its schema from a role that only loads; and it must have a unique
    /// index on `id`, or loading the same file again would add every record again.
    private func prepareTable() throws {
        let found = try query(OrderTable.inspectStatement, parameters: [table.quotedName], operation: "SELECT", collection: "pg_index")
        let (exists, hasUniqueID) = (Self.column(0, of: found) == "t", Self.column(1, of: found) == "t")
        if !exists {
            try statement(table.createStatement, operation: "CREATE TABLE", collection: table.name)
        } else if !hasUniqueID {
            throw LoadError.noUniqueID(table)
        }
    }

    /// Copies into the staging table, sets aside the records that must not be merged, then inserts what is new.
    private func merge(from reader: JSONRecordReader, path: String) throws -> LoadSummary {
        try statement(table.createStagingStatement, operation: "CREATE TABLE", collection: OrderTable.stagingName)
        guard let copied = try copy(from: reader, path: path, statement: OrderTable.stagingCopyStatement, withLines: true, collection: OrderTable.stagingName) else {
            throw LoadError.statement(operation: "COPY \(OrderTable.stagingName)", PostgresError(sqlState: nil, message: "the server ended the COPY early"))
        }
        let repeated = try skipped(OrderTable.removeRepeatsStatement, operation: "DELETE", collection: OrderTable.stagingName)
        let differing = try skipped(table.differingStatement, operation: "SELECT", collection: table.name)
        let inserted = try statement(table.mergeStatement, operation: "INSERT", collection: table.name) { span, rows in
            span.attributes["loader.rows.inserted"] = rows
        }
        return LoadSummary(records: copied.records, inserted: inserted, repeatedInFile: repeated, differingFromTable: differing)
    }

    /// Runs a query whose one row is a count of records and the first line among them.
    private func skipped(_ sql: String, operation: String, collection: String) throws -> SkippedRecords {
        let row = try query(sql, operation: operation, collection: collection)
        return SkippedRecords(count: Self.column(0, of: row).flatMap { Int($0) } ?? 0, firstLine: Self.column(1, of: row).flatMap { Int($0) })
    }

    /// A column of a row from ``query(_:parameters:operation:collection:)``; nil for NULL or a missing column.
    private static func column(_ index: Int, of row: [String?]) -> String? {
        index < row.count ? row[index] : nil
    }

    /// Streams every record into `COPY target FROM STDIN`.
    /// - Returns: the records read and the rows the server copied, or nil when the server stopped the COPY
    ///   because a row conflicted with an existing id (the caller rolls back and merges instead).
    private func copy(from reader: JSONRecordReader, path: String, statement: String, withLines: Bool = false, collection: String) throws -> (records: Int, rows: Int)? {
        try withSpan("COPY \(collection)", ofKind: .client) { span in
            describe(span, operation: "COPY", collection: collection)
            do {
                let outcome = try streamCopy(from: reader, path: path, statement: statement, withLines: withLines, operation: "COPY \(collection)")
                span.attributes["loader.records.count"] = outcome.records
                span.attributes["loader.rows.copied"] = outcome.rows
                return outcome
            } catch LoadError.statement(_, let error)
                where error.sqlState == PostgresError.uniqueViolation || error.sqlState == PostgresError.queryCanceled {
                // Expected on a reload: the load goes on through the staging table, so the span is no failure.
                span.attributes["db.response.status_code"] = error.sqlState
                return nil
            } catch {
                Self.markFailed(span, error)
                throw error
            }
        }
    }

    private func streamCopy(from reader: JSONRecordReader, path: String, statement: String, withLines: Bool, operation: String) throws -> (records: Int, rows: Int) {
        var validator = OrderRecordValidator()
        var encoder = CopyTextEncoder()
        var chunk: [UInt8] = []
        chunk.reserveCapacity(Self.sendThreshold + 64 * 1024)
        var records = 0
        do {
            try connection.beginCopy(statement)
            while let record = try reader.next() {
                encoder.append(record, columns: try validator.validate(record), withLine: withLines, to: &chunk)
                records += 1
                if chunk.count >= Self.sendThreshold {
                    guard try connection.sendCopyData(chunk) else {
                        // During COPY the server speaks only to refuse; ending the COPY as failed returns its error.
                        try connection.endCopy(failure: "loader-otel stopped after the server's answer")
                        throw PostgresError(sqlState: nil, message: "the server ended the COPY early")
                    }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { _ = try connection.sendCopyData(chunk) }
            return (records, try connection.endCopy())
        } catch let error as RecordReadError {
            _ = try? connection.endCopy(failure: "invalid record in \(path) at line \(error.line)")
            throw LoadError.badRecord(path: path, error)
        } catch {
            throw Self.loadError(error, operation: operation)
        }
    }

    /// Runs one statement in a CLIENT span; `record` sees the span and the affected row count.
    @discardableResult
    private func statement(_ sql: String, operation: String, collection: String?, record: (any Span, Int) -> Void = { _, _ in }) throws -> Int {
        try inSpan(operation: operation, collection: collection) { span in
            let rows = try connection.execute(sql)
            record(span, rows)
            return rows
        }
    }

    /// Runs one query in a CLIENT span and returns its first row (empty when there is none).
    private func query(_ sql: String, parameters: [String] = [], operation: String, collection: String?) throws -> [String?] {
        try inSpan(operation: operation, collection: collection) { _ in
            try connection.query(sql, parameters: parameters).first ?? []
        }
    }

    /// Runs `body` in a CLIENT span named after the operation; a failure marks the span and names the operation.
    private func inSpan<Result>(operation: String, collection: String?, _ body: (any Span) throws -> Result) throws -> Result {
        let name = collection.map { "\(operation) \($0)" } ?? operation
        return try withSpan(name, ofKind: .client) { span in
            describe(span, operation: operation, collection: collection)
            do {
                return try body(span)
            } catch {
                Self.markFailed(span, error)
                throw Self.loadError(error, operation: name)
            }
        }
    }

    /// Any error of a load step as the ``LoadError`` the caller sees; `operation` names the step.
    private static func loadError(_ error: any Error, operation: String) -> LoadError {
        switch error {
        case let error as LoadError: error
        case let error as PostgresError: .statement(operation: operation, error)
        case let error as ConnectionError: .connection(error)
        default: .statement(operation: operation, PostgresError(sqlState: nil, message: "\(error)"))
        }
    }

    /// The database semantic conventions' attributes of a CLIENT span.
    private func describe(_ span: any Span, operation: String, collection: String?) {
        Self.describe(connection, on: span)
        span.attributes["db.operation.name"] = operation
        span.attributes["db.query.summary"] = collection.map { "\(operation) \($0)" } ?? operation
        if let collection { span.attributes["db.collection.name"] = collection }
    }

    private static func describe(_ connection: PostgresConnection, on span: any Span) {
        span.attributes["db.system.name"] = "postgresql"
        span.attributes["db.namespace"] = connection.database
        span.attributes["server.address"] = connection.host
        span.attributes["server.port"] = connection.port
    }

    private static func markFailed(_ span: any Span, _ error: any Error) {
        let state: String? = switch error {
        case let error as PostgresError: error.sqlState
        case LoadError.statement(_, let error): error.sqlState
        default: nil
        }
        if let state { span.attributes["db.response.status_code"] = state }
        span.attributes["error.type"] = state ?? String(describing: type(of: error))
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
    }
}
