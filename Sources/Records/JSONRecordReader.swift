#if canImport(Glibc)
import Glibc
#endif

/// Finds the top-level records of a JSON array or of JSON Lines in a stream, validating strictly
/// (RFC 8259, UTF-8 included), with the line each record starts on and byte ranges for its members.
///
/// Hand-written because nothing available fits: Foundation's `JSONDecoder` manages ~35 MB/s here, needs
/// the whole document in memory, and its errors carry no position; no faster JSON package is in the
/// mirror. This reader works in one buffer that grows only to the size of the largest record (chunks of
/// ``chunkSize`` by default), so memory does not depend on file size, and nested values come back as raw
/// byte ranges that can go to PostgreSQL `jsonb` without re-serializing.
///
/// Layouts: a JSON array of objects (any whitespace), or objects separated by whitespace (JSON Lines,
/// NDJSON, or pretty-printed objects one after another). A UTF-8 byte order mark is skipped.
public final class JSONRecordReader {
    public static let defaultChunkSize = 1 << 20
    /// Far above any real order, and low enough that the buffer never takes loader-otel past 100 MiB.
    public static let defaultMaximumRecordSize = 16 << 20
    /// Deeper nesting is refused rather than risking the stack.
    static let maximumDepth = 256

    private let descriptor: Int32
    private let maximumRecordSize: Int
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes `position..<limit` of ``buffer`` are read but not yet consumed.
    private var position = 0
    private var limit = 0
    private var atEndOfFile = false
    private var line = 1
    private var recordCount = 0
    private var layout = Layout.unknown
    private var members: [JSONRecord.Member] = []
    private var containsNUL = false

    enum Layout {
        case unknown, arrayBeforeFirst, arrayAfterRecord, arrayClosed, lines
    }

    /// What interrupted parsing: the buffer ran out before the file did, or the input is not valid.
    enum Failure: Error {
        case needMoreInput
        case invalid(reason: String, line: Int)
    }

    /// - Parameter descriptor: read from its current offset; the caller owns and closes it.
    public init(descriptor: Int32, chunkSize: Int = JSONRecordReader.defaultChunkSize, maximumRecordSize: Int = JSONRecordReader.defaultMaximumRecordSize) {
        self.descriptor = descriptor
        self.maximumRecordSize = max(maximumRecordSize, chunkSize)
        capacity = chunkSize
        buffer = .allocate(capacity: chunkSize)
    }

    deinit {
        buffer.deallocate()
    }

    /// The next record, or nil at the end of the input. The returned record's bytes are valid until the next call.
    public func next() throws(RecordReadError) -> JSONRecord? {
        while true {
            let start = position
            let startLine = line
            let startLayout = layout
            do {
                return try readUnit()
            } catch {
                switch error {
                case .needMoreInput:
                    position = start
                    line = startLine
                    layout = startLayout
                    try refill()
                case .invalid(let reason, let errorLine):
                    throw RecordReadError(line: errorLine, reason: reason)
                }
            }
        }
    }

    /// Reads separators and the record after them, or the end of the input.
    private func readUnit() throws(Failure) -> JSONRecord? {
        switch layout {
        case .unknown:
            try skipByteOrderMark()
            try skipWhitespace()
            guard position < limit else {
                if atEndOfFile { return nil }
                throw .needMoreInput
            }
            switch buffer[position] {
            case UInt8(ascii: "["):
                position += 1
                layout = .arrayBeforeFirst
                return try readUnit()
            case UInt8(ascii: "{"):
                layout = .lines
                return try readRecord()
            default:
                throw .invalid(reason: "expected a JSON array of records or JSON Lines, found \(describeByte())", line: line)
            }
        case .arrayBeforeFirst, .arrayAfterRecord:
            try skipWhitespace()
            let byte = try peek()
            if byte == UInt8(ascii: "]") {
                position += 1
                layout = .arrayClosed
                return try readUnit()
            }
            if layout == .arrayAfterRecord {
                guard byte == UInt8(ascii: ",") else {
                    throw .invalid(reason: "expected ',' or ']' after record \(recordCount), found \(describeByte())", line: line)
                }
                position += 1
                try skipWhitespace()
            }
            layout = .arrayAfterRecord
            return try readRecord()
        case .arrayClosed:
            try skipWhitespace()
            if position < limit { throw .invalid(reason: "unexpected \(describeByte()) after the array's closing ']'", line: line) }
            if atEndOfFile { return nil }
            throw .needMoreInput
        case .lines:
            try skipWhitespace()
            if position < limit { return try readRecord() }
            if atEndOfFile { return nil }
            throw .needMoreInput
        }
    }

    private func readRecord() throws(Failure) -> JSONRecord? {
        let number = recordCount + 1
        let recordLine = line
        let start = position
        guard try peek() == UInt8(ascii: "{") else {
            if layout == .arrayAfterRecord && buffer[position] == UInt8(ascii: "]") {
                throw .invalid(reason: "trailing ',' before ']'", line: line)
            }
            throw .invalid(reason: "record \(number) is not a JSON object (found \(describeByte()))", line: line)
        }
        members.removeAll(keepingCapacity: true)
        containsNUL = false
        do {
            try parseObject(depth: 1, recordMembers: true)
        } catch {
            guard case .invalid(let reason, let errorLine) = error else { throw error }
            let place = errorLine == recordLine ? "" : " at line \(errorLine)"
            throw .invalid(reason: "record \(number) is not valid JSON\(place): \(reason)", line: recordLine)
        }
        recordCount = number
        let base = buffer + start
        for index in members.indices {
            members[index].key = (members[index].key.lowerBound - start)..<(members[index].key.upperBound - start)
            members[index].value = (members[index].value.lowerBound - start)..<(members[index].value.upperBound - start)
        }
        return JSONRecord(
            owner: self, number: number, line: recordLine, bytes: UnsafeBufferPointer(start: base, count: position - start),
            members: members, containsNUL: containsNUL
        )
    }

    // MARK: Buffer

    /// Keeps the unconsumed bytes, growing the buffer when one unit fills it, and reads more; at the end of
    /// the file, parsing is retried with ``atEndOfFile`` set so a truncated record becomes an error.
    private func refill() throws(RecordReadError) {
        if atEndOfFile {
            // readUnit only asks for more input before the end of the file.
            throw RecordReadError(line: line, reason: "unexpected end of file")
        }
        if position > 0 {
            memmove(buffer, buffer + position, limit - position)
            limit -= position
            position = 0
        }
        if limit == capacity {
            guard capacity < maximumRecordSize else {
                throw RecordReadError(line: line, reason: "record \(recordCount + 1) is larger than \(maximumRecordSize >> 20) MiB")
            }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: min(capacity * 2, maximumRecordSize))
            grown.update(from: buffer, count: limit)
            buffer.deallocate()
            buffer = grown
            capacity = min(capacity * 2, maximumRecordSize)
        }
        while true {
            let count = read(descriptor, buffer + limit, capacity - limit)
            if count > 0 {
                limit += count
                return
            }
            if count == 0 {
                atEndOfFile = true
                return
            }
            if errno != EINTR {
                throw RecordReadError(line: line, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
        }
    }

    @inline(__always)
    private func peek() throws(Failure) -> UInt8 {
        guard position < limit else { throw endOfInput() }
        return buffer[position]
    }

    private func endOfInput() -> Failure {
        atEndOfFile ? .invalid(reason: "unexpected end of file", line: line) : .needMoreInput
    }

    private func describeByte() -> String {
        guard position < limit else { return "end of file" }
        let byte = buffer[position]
        return (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    /// Skips a UTF-8 byte order mark, asking for more input when the buffer ends inside one (a pipe's first read).
    private func skipByteOrderMark() throws(Failure) {
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var matched = 0
        while matched < mark.count, position + matched < limit, buffer[position + matched] == mark[matched] { matched += 1 }
        if matched == mark.count {
            position += matched
        } else if matched > 0 && position + matched == limit && !atEndOfFile {
            throw .needMoreInput
        }
    }

    @inline(__always)
    private func skipWhitespace() throws(Failure) {
        while position < limit {
            switch buffer[position] {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): break
            default: return
            }
            position += 1
        }
    }

    // MARK: Grammar (RFC 8259)

    private func parseValue(depth: Int) throws(Failure) -> JSONRecord.Kind {
        switch try peek() {
        case UInt8(ascii: "{"):
            try parseObject(depth: depth + 1, recordMembers: false)
            return .object
        case UInt8(ascii: "["):
            try parseArray(depth: depth + 1)
            return .array
        case UInt8(ascii: "\""):
            _ = try parseString()
            return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
            return .number
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .boolean
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .boolean
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        default:
            throw .invalid(reason: "expected a value, found \(describeByte())", line: line)
        }
    }

    /// Parses `{…}` at ``position``; with `recordMembers`, notes each member in ``members``.
    private func parseObject(depth: Int, recordMembers: Bool) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw .invalid(reason: "nested deeper than \(Self.maximumDepth) levels", line: line) }
        position += 1
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw .invalid(reason: "expected a member name in quotes, found \(describeByte())", line: line) }
            let keyStart = position + 1
            let keyHasEscapes = try parseString()
            let keyEnd = position - 1
            try skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw .invalid(reason: "expected ':' after a member name, found \(describeByte())", line: line) }
            position += 1
            try skipWhitespace()
            let valueStart = position
            if recordMembers {
                if try peek() == UInt8(ascii: "\"") {
                    let valueHasEscapes = try parseString()
                    members.append(JSONRecord.Member(
                        key: keyStart..<keyEnd, keyHasEscapes: keyHasEscapes, kind: .string,
                        value: (valueStart + 1)..<(position - 1), valueHasEscapes: valueHasEscapes
                    ))
                } else {
                    let kind = try parseValue(depth: depth)
                    members.append(JSONRecord.Member(
                        key: keyStart..<keyEnd, keyHasEscapes: keyHasEscapes, kind: kind, value: valueStart..<position, valueHasEscapes: false
                    ))
                }
            } else {
                _ = try parseValue(depth: depth)
            }
            if try isAtEnd(of: "object", closedBy: UInt8(ascii: "}")) { return }
        }
    }

    private func parseArray(depth: Int) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw .invalid(reason: "nested deeper than \(Self.maximumDepth) levels", line: line) }
        position += 1
        try skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            _ = try parseValue(depth: depth)
            if try isAtEnd(of: "array", closedBy: UInt8(ascii: "]")) { return }
        }
    }

    /// After a member or element: consumes `,` (more follow, returns false) or the closing byte (returns true).
    private func isAtEnd(of container: String, closedBy closing: UInt8) throws(Failure) -> Bool {
        try skipWhitespace()
        switch try peek() {
        case UInt8(ascii: ","):
            position += 1
            try skipWhitespace()
            return false
        case closing:
            position += 1
            return true
        default:
            throw .invalid(reason: "expected ',' or '\(Character(Unicode.Scalar(closing)))' in an \(container), found \(describeByte())", line: line)
        }
    }

    /// Parses a string at ``position`` (its opening quote); returns whether it holds escapes.
    private func parseString() throws(Failure) -> Bool {
        position += 1
        var hasEscapes = false
        while true {
            guard position < limit else { throw endOfInput() }
            let byte = buffer[position]
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return hasEscapes
            case UInt8(ascii: "\\"):
                hasEscapes = true
                try parseEscape()
            case 0x80...:
                try parseUTF8Sequence()
            default:
                throw .invalid(reason: byte == 0x0A ? "unterminated string (raw newline in a string)" : "unescaped control character 0x\(String(byte, radix: 16)) in a string", line: line)
            }
        }
    }

    private func parseEscape() throws(Failure) {
        guard position + 1 < limit else { throw endOfInput() }
        switch buffer[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try parseHexEscape(at: position)
            position += 6
            if unit == 0 { containsNUL = true }
            if (0xDC00..<0xE000).contains(unit) { throw .invalid(reason: "unpaired UTF-16 surrogate \\u\(String(unit, radix: 16)) in a string", line: line) }
            if (0xD800..<0xDC00).contains(unit) {
                guard position + 1 < limit else { throw endOfInput() }
                guard buffer[position] == UInt8(ascii: "\\"), buffer[position + 1] == UInt8(ascii: "u") else {
                    throw .invalid(reason: "unpaired UTF-16 surrogate \\u\(String(unit, radix: 16)) in a string", line: line)
                }
                let low = try parseHexEscape(at: position)
                guard (0xDC00..<0xE000).contains(low) else { throw .invalid(reason: "unpaired UTF-16 surrogate \\u\(String(unit, radix: 16)) in a string", line: line) }
                position += 6
            }
        default:
            position += 1
            throw .invalid(reason: "invalid escape \\\(describeByte()) in a string", line: line)
        }
    }

    /// The 16-bit value of `\uXXXX` at `start`.
    private func parseHexEscape(at start: Int) throws(Failure) -> UInt32 {
        guard start + 6 <= limit else { throw endOfInput() }
        var value: UInt32 = 0
        for offset in 2..<6 {
            let digit = JSONString.hexDigitValue(buffer[start + offset])
            guard digit != 0xFF else { throw .invalid(reason: "invalid \\u escape (four hex digits expected)", line: line) }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (no overlong forms, no surrogates, nothing above U+10FFFF).
    private func parseUTF8Sequence() throws(Failure) {
        let lead = buffer[position]
        let length: Int
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; highest = 0x9F
        case 0xF0: length = 4; lowest = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; highest = 0x8F
        default: throw .invalid(reason: "invalid UTF-8 (byte 0x\(String(lead, radix: 16)))", line: line)
        }
        guard position + length <= limit else { throw endOfInput() }
        let second = buffer[position + 1]
        guard second >= lowest && second <= highest else { throw .invalid(reason: "invalid UTF-8 (byte 0x\(String(second, radix: 16)) after 0x\(String(lead, radix: 16)))", line: line) }
        for offset in 2..<length where buffer[position + offset] & 0xC0 != 0x80 {
            throw .invalid(reason: "invalid UTF-8 (truncated sequence after 0x\(String(lead, radix: 16)))", line: line)
        }
        position += length
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private func parseNumber() throws(Failure) {
        if buffer[position] == UInt8(ascii: "-") { position += 1 }
        let first = try peek()
        if first == UInt8(ascii: "0") {
            position += 1
        } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            try skipDigits()
        } else {
            throw .invalid(reason: "invalid number: expected a digit, found \(describeByte())", line: line)
        }
        if try peek() == UInt8(ascii: ".") {
            position += 1
            guard try isDigit(peek()) else { throw .invalid(reason: "invalid number: expected a digit after '.'", line: line) }
            try skipDigits()
        }
        let exponent = try peek()
        if exponent == UInt8(ascii: "e") || exponent == UInt8(ascii: "E") {
            position += 1
            let sign = try peek()
            if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            guard try isDigit(peek()) else { throw .invalid(reason: "invalid number: expected a digit in the exponent", line: line) }
            try skipDigits()
        }
        if position < limit, isDigit(buffer[position]) { throw .invalid(reason: "invalid number: leading zero", line: line) }
    }

    private func skipDigits() throws(Failure) {
        while position < limit, isDigit(buffer[position]) { position += 1 }
        if position == limit { throw endOfInput() }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func parseLiteral(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        for offset in 0..<count {
            guard position + offset < limit else { throw endOfInput() }
            guard buffer[position + offset] == word.utf8Start[offset] else {
                throw .invalid(reason: "invalid literal (expected \(word))", line: line)
            }
        }
        position += count
    }
}

/// Why a file could not be read as records: the line to look at and what is wrong there.
public struct RecordReadError: Error, CustomStringConvertible {
    /// 1-based line: where the bad record starts, or where the problem is for damage between records.
    public let line: Int
    public let reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}
