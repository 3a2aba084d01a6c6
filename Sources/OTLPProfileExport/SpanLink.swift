/// The span a profile sample belongs to (OTLP `Link{trace_id, span_id}`), so a backend shows the sample under it.
public struct SpanLink: Sendable, Hashable {
    /// 16 bytes.
    public var traceID: [UInt8]
    /// 8 bytes.
    public var spanID: [UInt8]

    /// Nil unless `traceID` is 32 and `spanID` 16 hex digits, not all zero (W3C's invalid ids).
    public init?(traceID: String, spanID: String) {
        guard let trace = Self.bytes(hex: traceID, count: 16), let span = Self.bytes(hex: spanID, count: 8),
              trace.contains(where: { $0 != 0 }), span.contains(where: { $0 != 0 })
        else { return nil }
        self.traceID = trace
        self.spanID = span
    }

    private static func bytes(hex: String, count: Int) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == count * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
