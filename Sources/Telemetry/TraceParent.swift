/// A W3C `traceparent` value: the ids that link a process's spans (and profiles) to its caller's trace.
///
/// Parsed as the spec says (https://www.w3.org/TR/trace-context/#traceparent-header): version `00` is exactly
/// `00-<32 lowercase hex>-<16 lowercase hex>-<2 hex>`, ids not all zero. A higher version ("Versioning of
/// traceparent") is parsed by the version-00 layout of its first 55 characters, which must be the whole value or be
/// followed by `-` and fields this version does not know; only the sampled flag of such a version is kept, and
/// version `ff` is invalid. A value that does not parse is treated as absent.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lowercase hex digits.
    public let traceID: String
    /// 16 lowercase hex digits: the span that is the parent of whatever receives this value.
    public let spanID: String
    /// Trace flags as two hex digits (`01` = sampled).
    public let flags: String

    public init?(_ value: String) {
        let text = Array(value.utf8)
        let dash = UInt8(ascii: "-")
        guard text.count >= 55, Self.isLowercaseHex(text[0..<2]), text[2] == dash, text[35] == dash, text[52] == dash,
              Self.isLowercaseHex(text[3..<35]), Self.isLowercaseHex(text[36..<52]), Self.isLowercaseHex(text[53..<55]),
              text[3..<35].contains(where: { $0 != UInt8(ascii: "0") }), text[36..<52].contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        let version = String(decoding: text[0..<2], as: UTF8.self)
        switch version {
        case "00": guard text.count == 55 else { return nil }
        case "ff": return nil
        default: guard text.count == 55 || text[55] == dash else { return nil }
        }
        traceID = String(decoding: text[3..<35], as: UTF8.self)
        spanID = String(decoding: text[36..<52], as: UTF8.self)
        let flagBits = UInt8(String(decoding: text[53..<55], as: UTF8.self), radix: 16) ?? 0
        flags = version == "00" ? String(decoding: text[53..<55], as: UTF8.self) : (flagBits & 1 == 1 ? "01" : "00")
    }

    public var isSampled: Bool { (UInt8(flags, radix: 16) ?? 0) & 1 == 1 }

    /// The value in version `00`, the highest this implementation knows: what the spec says to propagate.
    public var description: String { "00-\(traceID)-\(spanID)-\(flags)" }

    private static func isLowercaseHex(_ text: ArraySlice<UInt8>) -> Bool {
        text.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
