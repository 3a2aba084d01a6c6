import Records

/// Writes validated order records as rows of PostgreSQL's COPY text format.
///
/// The trap (postgres-load.md): in text format a backslash starts an escape, so JSON's own `\n`, `\"` or
/// `\u00e9` would be mangled or rejected. Every backslash is doubled, and tab, newline and carriage return
/// (the field and row separators) are written as `\t`, `\n`, `\r`. A string without JSON escapes needs
/// no work (strict JSON has no raw control characters or backslashes there), so most fields are copied
/// as they are; only strings with escapes are decoded first.
///
/// Why text: `psql \copy` of the same 20,000 orders took 0.13–0.19 s as text, 0.15–0.20 s as CSV and
/// 0.11–0.12 s as binary. Binary would save some server time but needs client-side binary encoders for
/// `numeric` and `timestamptz` (and `jsonb` is still parsed from text); with text the loader already beats
/// psql's CSV `\copy` of the same rows (BENCHMARKS.md).
struct CopyTextEncoder {
    private var decoded: [UInt8] = []

    /// Appends one row: the members from ``OrderRecordValidator/validate(_:)``, then, when `withLine`, the
    /// record's line in the file (the staging table's last column).
    mutating func append(_ record: JSONRecord, columns: [JSONRecord.Member?], withLine: Bool = false, to row: inout [UInt8]) {
        for (index, column) in columns.enumerated() {
            if index > 0 { row.append(UInt8(ascii: "\t")) }
            guard let column else {
                row.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            let text = record.slice(column.value)
            if column.valueHasEscapes {
                decoded.removeAll(keepingCapacity: true)
                JSONString.decode(text, into: &decoded)
                decoded.withUnsafeBufferPointer { Self.appendEscaped($0, to: &row) }
            } else if column.kind == .object || column.kind == .array {
                Self.appendEscaped(text, to: &row)
            } else {
                row.append(contentsOf: text)
            }
        }
        if withLine {
            row.append(UInt8(ascii: "\t"))
            row.append(contentsOf: String(record.line).utf8)
        }
        row.append(UInt8(ascii: "\n"))
    }

    static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, to row: inout [UInt8]) {
        var clean = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t") else { continue }
            row.append(contentsOf: UnsafeBufferPointer(rebasing: text[clean..<index]))
            clean = index + 1
            row.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\n"): row.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): row.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): row.append(UInt8(ascii: "t"))
            default: row.append(byte)
            }
        }
        row.append(contentsOf: UnsafeBufferPointer(rebasing: text[clean...]))
    }
}
