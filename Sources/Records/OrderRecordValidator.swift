import SafeText

/// Checks that a ``JSONRecord`` is an order that PostgreSQL will accept into loader-otel's typed table, and
/// finds each of its members.
///
/// Everything the server would reject is caught here, on the client, so a bad record is reported with its
/// file line and the database never sees half a load: PostgreSQL 15's COPY stops at the first bad row and
/// names only its position in the COPY stream.
public struct OrderRecordValidator {
    /// Members in ``OrderRecord/Field`` order, reused from record to record.
    private var columns: [JSONRecord.Member?]
    private static let names: [[UInt8]] = OrderRecord.Field.allCases.map { Array($0.rawValue.utf8) }

    public init() {
        columns = Array(repeating: nil, count: OrderRecord.Field.allCases.count)
    }

    /// - Returns: the record's members indexed like `OrderRecord.Field.allCases`; `nil` only for a null `note`.
    public mutating func validate(_ record: JSONRecord) throws(RecordReadError) -> [JSONRecord.Member?] {
        func fail(_ reason: String) -> RecordReadError {
            RecordReadError(line: record.line, reason: "record \(record.number): \(reason)")
        }
        if record.containsNUL { throw fail("a string holds \\u0000, which PostgreSQL text and jsonb cannot store") }
        for index in columns.indices { columns[index] = nil }
        for (position, member) in record.members.enumerated() {
            guard let field = Self.field(named: member, in: record, hint: position) else {
                throw fail("unexpected member \"\(ShownText.value(record.keyText(member)))\"")
            }
            guard columns[field] == nil else { throw fail("duplicate member \"\(record.keyText(member))\"") }
            columns[field] = member
        }
        for (index, field) in OrderRecord.Field.allCases.enumerated() {
            guard let member = columns[index] else { throw fail("missing member \"\(field.rawValue)\"") }
            if let problem = Self.problem(with: member, as: field, in: record) {
                throw fail("\"\(field.rawValue)\" \(problem)")
            }
            if field == .note && member.kind == .null { columns[index] = nil }
        }
        return columns
    }

    /// The index of the field the member's key names; members usually come in the writer's order, so `hint`
    /// is tried first. Compares bytes in place: this runs for every member of every record.
    private static func field(named member: JSONRecord.Member, in record: JSONRecord, hint: Int) -> Int? {
        if member.keyHasEscapes {
            return names.firstIndex(of: Array(record.keyText(member).utf8))
        }
        let key = record.slice(member.key)
        if hint < names.count && names[hint].elementsEqual(key) { return hint }
        return names.firstIndex { $0.elementsEqual(key) }
    }

    /// Why the member cannot be stored in the field's column, or nil when it can.
    private static func problem(with member: JSONRecord.Member, as field: OrderRecord.Field, in record: JSONRecord) -> String? {
        let text = record.slice(member.value)
        switch field {
        case .id:
            guard member.kind == .number else { return "must be a number, not \(member.kind.name)" }
            return integerValue(text) == nil ? "must be an integer between -2^63 and 2^63-1" : nil
        case .createdAt:
            guard member.kind == .string else { return "must be a string, not \(member.kind.name)" }
            let isValid = member.valueHasEscapes ? RFC3339.isValid(Array(JSONString.decode(text).utf8)) : RFC3339.isValid(text)
            return isValid ? nil : "must be an RFC 3339 timestamp such as 2024-01-31T12:00:00.000Z"
        case .status, .customerName, .customerEmail:
            return member.kind == .string ? nil : "must be a string, not \(member.kind.name)"
        case .currency:
            guard member.kind == .string else { return "must be a string, not \(member.kind.name)" }
            return text.count == 3 && text.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? nil : "must be a three-letter ISO 4217 code such as EUR"
        case .total:
            guard member.kind == .number else { return "must be a number, not \(member.kind.name)" }
            return isAmount(text) ? nil : "must be an amount with at most 12 integer and 2 fractional digits and no exponent"
        case .items:
            return member.kind == .array ? nil : "must be an array, not \(member.kind.name)"
        case .shipping:
            return member.kind == .object ? nil : "must be an object, not \(member.kind.name)"
        case .note:
            return member.kind == .string || member.kind == .null ? nil : "must be a string or null, not \(member.kind.name)"
        }
    }

    /// The value of a JSON number that is an integer fitting `Int64`.
    static func integerValue(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < text.count else { return nil }
        var magnitude: UInt64 = 0
        while index < text.count {
            let byte = text[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = sum
            index += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// `-?d{1,12}(.d{1,2})?`: what fits loader-otel's `numeric(14,2)` column without rounding.
    static func isAmount(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = text.first == UInt8(ascii: "-") ? 1 : 0
        var integerDigits = 0
        while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") {
            integerDigits += 1
            index += 1
        }
        guard (1...12).contains(integerDigits) else { return false }
        if index == text.count { return true }
        guard text[index] == UInt8(ascii: ".") else { return false }
        let fractionDigits = text.count - index - 1
        return (1...2).contains(fractionDigits)
    }
}

/// Strict RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with real calendar dates.
enum RFC3339 {
    static func isValid<Text: RandomAccessCollection<UInt8>>(_ text: Text) -> Bool where Text.Index == Int {
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= text.count else { return nil }
            var value = 0
            for byte in text[start..<(start + count)] {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is allowed: String) -> Bool {
            index < text.count && allowed.utf8.contains(text[index])
        }
        guard let year = number(0, 4), year >= 1, byte(4, is: "-"), let month = number(5, 2), (1...12).contains(month),
              byte(7, is: "-"), let day = number(8, 2), day >= 1, day <= daysIn(month: month, year: year),
              byte(10, is: "Tt"), let hour = number(11, 2), hour < 24, byte(13, is: ":"), let minute = number(14, 2), minute < 60,
              byte(16, is: ":"), let second = number(17, 2), second < 60
        else { return false }
        var index = 19
        if byte(index, is: ".") {
            index += 1
            let fractionStart = index
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") { index += 1 }
            guard index > fractionStart else { return false }
        }
        if byte(index, is: "Zz") { return index + 1 == text.count }
        guard byte(index, is: "+-"), let offsetHours = number(index + 1, 2), offsetHours < 24, byte(index + 3, is: ":"),
              let offsetMinutes = number(index + 4, 2), offsetMinutes < 60
        else { return false }
        return index + 6 == text.count
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
