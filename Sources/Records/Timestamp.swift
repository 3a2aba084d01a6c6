/// RFC 3339 timestamps in UTC with milliseconds (`2024-01-01T00:00:00.000Z`), without Foundation's
/// formatters, which allocate and take locks on every call.
enum Timestamp {
    /// Appends the 24 bytes of `milliseconds` since the Unix epoch.
    static func appendRFC3339(milliseconds: Int64, to buffer: inout [UInt8]) {
        let (days, millisOfDay) = milliseconds.floorDividedAndModulo(86_400_000)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let seconds = millisOfDay / 1000
        appendDigits(year, count: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "T"))
        appendDigits(seconds / 3600, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "."))
        appendDigits(millisOfDay % 1000, count: 3, to: &buffer)
        buffer.append(UInt8(ascii: "Z"))
    }

    static func rfc3339(milliseconds: Int64) -> String {
        var buffer: [UInt8] = []
        appendRFC3339(milliseconds: milliseconds, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Days since 1970-01-01 → proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func appendDigits(_ value: Int64, count: Int, to buffer: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(remaining / divisor % 10))
            remaining %= divisor
            divisor /= 10
        }
    }
}

extension Int64 {
    func floorDividedAndModulo(_ divisor: Int64) -> (Int64, Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
