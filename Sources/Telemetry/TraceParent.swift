/// A W3C `traceparent` value: the ids that link a process's spans (and profiles) to its caller's trace.
///
/// Parsed strictly, as the spec asks: `00-<32 lowercase hex>-<16 lowercase hex>-<2 hex>`, ids not all
/// zero. A value that does not parse is treated as absent.
/// https://www.w3.org/TR/trace-context/#traceparent-header
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lowercase hex digits.
    public let traceID: String
    /// 16 lowercase hex digits: the span that is the parent of whatever receives this value.
    public let spanID: String
    /// Trace flags as two hex digits (`01` = sampled).
    public let flags: String

    public init?(_ value: String) {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00",
              Self.isLowercaseHex(parts[1], count: 32), Self.isLowercaseHex(parts[2], count: 16),
              Self.isLowercaseHex(parts[3], count: 2),
              parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        traceID = String(parts[1])
        spanID = String(parts[2])
        flags = String(parts[3])
    }

    public var isSampled: Bool { (UInt8(flags, radix: 16) ?? 0) & 1 == 1 }

    public var description: String { "00-\(traceID)-\(spanID)-\(flags)" }

    private static func isLowercaseHex(_ text: Substring, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
