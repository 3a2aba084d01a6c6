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

    /// One row: whether the name resolves to a relation (as the loader's statements would resolve it, through
    /// `search_path`), and whether that relation has a unique index on `id` alone that `ON CONFLICT (id)` can
    /// use: valid, not deferrable, not partial, not on an expression. The system catalogs are readable by every
    /// role, so this needs no privilege beyond the schema's USAGE, which loading needs anyway. `$1` is
    /// ``quotedName``.
    static let inspectStatement = """
        SELECT relation IS NOT NULL, EXISTS (
            SELECT FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = relation AND i.indisunique AND i.indimmediate AND i.indisvalid
              AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND a.attname = 'id')
        FROM to_regclass($1) AS relation
        """

    /// The SQL that gives an existing table what loading needs, for the message that asks for it.
    var addPrimaryKeyStatement: String { "ALTER TABLE \(quotedName) ADD PRIMARY KEY (id)" }

    func copyStatement(into table: String) -> String {
        "COPY \(table) (\(Self.columnList)) FROM STDIN"
    }

    /// A session-private copy of the columns that disappears at commit or rollback, plus the file line of
    /// each record, so the records a merge leaves out can be named.
    static let stagingName = "loader_otel_staging"
    static let lineColumn = "loader_otel_line"

    var createStagingStatement: String {
        "CREATE TEMPORARY TABLE \(Self.stagingName) (LIKE \(quotedName) INCLUDING DEFAULTS, \(Self.lineColumn) bigint NOT NULL) ON COMMIT DROP"
    }

    static let stagingCopyStatement = "COPY \(stagingName) (\(columnList), \(lineColumn)) FROM STDIN"

    /// Removes every staged record whose id an earlier line of the file already had (the first one is loaded);
    /// one row: how many were removed and the first line among them (NULL when none). One scan of the staging
    /// table numbers the records of each id, and only the repeats are fetched again, by their row address: a
    /// self-join would read the whole table twice (200,000 records: 0.6 s instead of 1.3 s).
    static let removeRepeatsStatement = """
        WITH removed AS (
            DELETE FROM \(stagingName) WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM (
                    SELECT ctid, row_number() OVER (PARTITION BY id ORDER BY \(lineColumn)) AS occurrence FROM \(stagingName)
                ) numbered WHERE occurrence > 1))
            RETURNING \(lineColumn))
        SELECT count(*), min(\(lineColumn)) FROM removed
        """

    /// One row: how many staged records have an id the table already holds with other values (the table's row
    /// stays), and the first line among them. Compares values, not text: `1.5` equals `1.50`, and `jsonb`
    /// ignores key order and white space.
    var differingStatement: String {
        let staged = "(\(OrderRecord.Field.allCases.map { "s.\($0.rawValue)" }.joined(separator: ", ")))"
        let stored = "(\(OrderRecord.Field.allCases.map { "t.\($0.rawValue)" }.joined(separator: ", ")))"
        return """
            SELECT count(*), min(s.\(Self.lineColumn)) FROM \(Self.stagingName) s JOIN \(quotedName) t ON t.id = s.id
            WHERE \(staged) IS DISTINCT FROM \(stored)
            """
    }

    /// Moves the staged rows in; rows whose id is already there are skipped.
    var mergeStatement: String {
        "INSERT INTO \(quotedName) (\(Self.columnList)) SELECT \(Self.columnList) FROM \(Self.stagingName) ON CONFLICT (id) DO NOTHING"
    }
}

public struct TableNameError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "invalid table name \"\(name)\": use NAME or SCHEMA.NAME" }
}
