/// What a load did, with counts from the database.
public struct LoadSummary: Sendable, Equatable {
    /// Records read from the file.
    public let records: Int
    /// Rows the load added (the row count PostgreSQL reported for the COPY or the merging INSERT).
    public let inserted: Int
    /// Records whose id was already in the table, or repeated in the file: not inserted again.
    public var alreadyPresent: Int { records - inserted }
}
