import SafeText

/// A W3C `tracestate` value: vendors' own data about the trace, carried alongside `traceparent`.
///
/// Validated by the grammar of https://www.w3.org/TR/trace-context/#tracestate-header-field-values:
/// at most 32 list-members separated by commas with optional spaces and tabs around them (empty members allowed),
/// each `key=value` with one entry per key;
///
///     key              = simple-key / multi-tenant-key
///     simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
///     multi-tenant-key = tenant-id "@" system-id
///     tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
///     system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
///     value            = 0*255(chr) nblk-chr      ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E, chr = %x20 / nblk-chr
///
/// A value that breaks any rule is dropped whole ("If the tracestate header cannot be parsed, the vendor MAY
/// discard the entire header"); the 512-character propagation guidance is a floor, so nothing valid is cut.
public struct TraceState: Sendable, Hashable, CustomStringConvertible {
    public struct Member: Sendable, Hashable {
        public let key: String
        public let value: String
    }

    /// Why a value is not a valid `tracestate`, in words for a warning.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public let members: [Member]

    public static let maximumMembers = 32

    /// The members without optional whitespace and empty members, comma-separated.
    public var description: String { members.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }

    public static func parse(_ text: String) -> Result<TraceState, Invalid> {
        var members: [Member] = []
        var keys: Set<String> = []
        for (index, rawMember) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard let start = rawMember.firstIndex(where: { !isOptionalWhitespace($0) }),
                  let end = rawMember.lastIndex(where: { !isOptionalWhitespace($0) })
            else { continue }
            let member = rawMember[start...end]
            let shown = ShownText.value(String(member), limit: 40)
            guard let equals = member.firstIndex(of: "=") else {
                return .failure(Invalid(description: "list-member \(index + 1) (\(shown)) is not key=value"))
            }
            let key = String(member[..<equals]), value = String(member[member.index(after: equals)...])
            guard isKey(key) else { return .failure(Invalid(description: "list-member \(index + 1) (\(shown)) has an invalid key")) }
            guard isValue(value) else { return .failure(Invalid(description: "list-member \(index + 1) (\(shown)) has an invalid value")) }
            guard keys.insert(key).inserted else {
                return .failure(Invalid(description: "the key \(ShownText.value(key, limit: 40)) appears more than once"))
            }
            members.append(Member(key: key, value: value))
        }
        guard members.count <= maximumMembers else {
            return .failure(Invalid(description: "\(members.count) list-members, more than the \(maximumMembers) allowed"))
        }
        return .success(TraceState(members: members))
    }

    private static func isOptionalWhitespace(_ character: Character) -> Bool { character == " " || character == "\t" }

    private static func isKey(_ key: String) -> Bool {
        let parts = key.utf8.split(separator: UInt8(ascii: "@"), maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 1 {
            return isKeyPart(parts[0], maximumLength: 256, firstMayBeDigit: false)
        }
        return isKeyPart(parts[0], maximumLength: 241, firstMayBeDigit: true) && isKeyPart(parts[1], maximumLength: 14, firstMayBeDigit: false)
    }

    private static func isKeyPart(_ part: Substring.UTF8View, maximumLength: Int, firstMayBeDigit: Bool) -> Bool {
        guard let first = part.first, part.count <= maximumLength,
              isLowercaseLetter(first) || (firstMayBeDigit && isDigit(first))
        else { return false }
        return part.allSatisfy { isLowercaseLetter($0) || isDigit($0) || "_-*/".utf8.contains($0) }
    }

    private static func isValue(_ value: String) -> Bool {
        guard let last = value.utf8.last, value.utf8.count <= 256, last != UInt8(ascii: " ") else { return false }
        return value.utf8.allSatisfy { (0x20...0x7e).contains($0) && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
