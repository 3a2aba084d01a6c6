import Records
import SafeText

#if canImport(Glibc)
import Glibc
#endif

/// Why a load failed. Every case leaves the database as it was: the load's transaction is rolled back.
public enum LoadError: Error, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case badRecord(path: String, RecordReadError)
    case connection(ConnectionError)
    /// `operation` is the span name of the statement, e.g. `COPY orders`.
    case statement(operation: String, PostgresError)
    /// The table exists without a unique index on `id` that `ON CONFLICT (id)` can use: a reload would add
    /// every record again.
    case noUniqueID(OrderTable)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot open \(ShownText.path(path)): \(String(cString: strerror(code)))"
        case .badRecord(let path, let error): "\(ShownText.path(path)):\(error.line): \(error.reason); nothing was loaded"
        case .connection(let error): "\(error)"
        case .statement(let operation, let error): "\(operation) failed: \(error); nothing was loaded"
        case .noUniqueID(let table):
            """
            table \(table.name) has no primary key or unique index on id (not deferrable, not partial), so a reload \
            would add every record again: add one (\(table.addPrimaryKeyStatement)); nothing was loaded
            """
        }
    }
}
