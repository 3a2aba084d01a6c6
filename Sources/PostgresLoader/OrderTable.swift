import Records

/// loader-otel's table: one typed column per ``OrderRecord/Field``, nested values as `jsonb`.
public struct OrderTable: Sendable {
    public static let defaultName = "orders"

    /// The name as the user gave it (`orders` or `schema.orders`), for spans and messages.
    public let name: String
    /// The name as SQL: each part double-quoted, so any name is safe and case is kept.
    let quotedName: String

    public init(name: String) throws(TableNameError) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains("\0") }) else {
            throw TableNameError(name: name)
        }
        self.name = name
        quotedName = parts.map { "\"" + $0.replacing("\"", with: "\"\"") + "\"" }.joined(separator: ".")
    }

    /// Column names in the order COPY sends them (``OrderRecord/Field`` order).
    static let columnList = OrderRecord.Field.allCases.map(\.rawValue).joined(separator: ", ")

    var createStatement: String {
        """
        CREATE TABLE IF NOT EXISTS \(quotedName) (
            id bigint PRIMARY KEY,
            created_at timestamptz NOT NULL,
            status text NOT NULL,
            customer_name text NOT NULL,
            customer_email text NOT NULL,
            currency char(3) NOT NULL,
            total numeric(14,2) NOT NULL,
            items jsonb NOT NULL,
            shipping jsonb NOT NULL,
            note text
        )
        """
    }

    func copyStatement(into table: String) -> String {
        "COPY \(table) (\(Self.columnList)) FROM STDIN"
    }

    /// A session-private copy of the columns that disappears at commit or rollback.
    static let stagingName = "loader_otel_staging"

    var createStagingStatement: String {
        "CREATE TEMPORARY TABLE \(Self.stagingName) (LIKE \(quotedName) INCLUDING DEFAULTS) ON COMMIT DROP"
    }

    /// Moves the staged rows in; rows whose id is already there (or repeated in the file) are skipped.
    var mergeStatement: String {
        "INSERT INTO \(quotedName) (\(Self.columnList)) SELECT \(Self.columnList) FROM \(Self.stagingName) ON CONFLICT (id) DO NOTHING"
    }
}

public struct TableNameError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "invalid table name \"\(name)\": use NAME or SCHEMA.NAME" }
}
