/// What a load did, with counts from the database.
public struct LoadSummary: Sendable, Equatable {
    /// Records read from the file.
    public let records: Int
    /// Rows the load added (the row count PostgreSQL reported for the COPY or the merging INSERT).
    public let inserted: Int
    /// Records whose id an earlier record of the same file already had: not loaded (the earlier one was),
    /// whether their values are the same or not.
    public let repeatedInFile: SkippedRecords
    /// Records whose id the table already held with other values: the table's row was kept, not updated.
    /// They are among ``alreadyPresent``.
    public let differingFromTable: SkippedRecords
    /// Records whose id was already in the table: not inserted again.
    public var alreadyPresent: Int { records - inserted - repeatedInFile.count }

    public init(records: Int, inserted: Int, repeatedInFile: SkippedRecords = .none, differingFromTable: SkippedRecords = .none) {
        self.records = records
        self.inserted = inserted
        self.repeatedInFile = repeatedInFile
        self.differingFromTable = differingFromTable
    }
}

/// Records a load left out for a reason worth telling: how many, and the file line of the first, so the user
/// can look at one.
public struct SkippedRecords: Sendable, Equatable {
    public let count: Int
    /// The first line among them; nil when there are none, or when the input's lines are unknown.
    public let firstLine: Int?

    public static let none = SkippedRecords(count: 0, firstLine: nil)
}
