/// How records are framed in a file.
public enum RecordFileFormat: String, Sendable, CaseIterable {
    /// A JSON array with one record per line inside it: `[\n{…},\n{…}\n]\n`.
    case jsonArray = "json"
    /// One record per line (JSON Lines / NDJSON): `{…}\n{…}\n`.
    case jsonLines = "jsonl"

    /// The format a file name asks for: `*.json` is an array; `*.jsonl`, `*.ndjson`, `-` (stdout) and
    /// anything else are JSON Lines, the format a stream can be read from record by record.
    public init(path: String) {
        self = path.lowercased().hasSuffix(".json") ? .jsonArray : .jsonLines
    }

    /// Bytes before the first record.
    func appendOpening(to buffer: inout [UInt8]) {
        if self == .jsonArray { buffer.append(contentsOf: "[\n".utf8) }
    }

    /// Bytes between two records.
    func appendSeparator(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: self == .jsonArray ? ",\n".utf8 : "\n".utf8)
    }

    /// Bytes after the last record (`hasRecords` is false for an empty file).
    func appendClosing(hasRecords: Bool, to buffer: inout [UInt8]) {
        switch self {
        case .jsonArray: buffer.append(contentsOf: hasRecords ? "\n]\n".utf8 : "]\n".utf8)
        case .jsonLines: if hasRecords { buffer.append(UInt8(ascii: "\n")) }
        }
    }
}
