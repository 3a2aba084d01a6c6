import Foundation
import SafeText

/// The `key=value,key2=value2` lists of `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`.
///
/// The spec gives both the W3C Baggage format without properties, values percent-decoded
/// (https://opentelemetry.io/docs/specs/otel/resource/sdk/#specifying-resource-information-via-an-environment-variable,
/// https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables): keys are
/// HTTP tokens, spaces around keys, values and commas are optional whitespace, `%XX` in a value is the byte XX of its
/// UTF-8. swift-otel decodes neither list and drops a whole list for one bad entry; here a bad entry is reported
/// and the others are kept. A literal space inside a value is accepted, as users write `Authorization=Basic xyz`.
public enum OTelKeyValueList {
    /// An entry that is not used. Its text is not kept: header values are usually secrets.
    public struct Problem: Sendable, Hashable {
        /// 1-based, counting every comma-separated entry.
        public let position: Int
        /// The key, when it is a valid one (a key is never a secret; text that is not a key may be).
        public let key: String?
        public let reason: String

        /// `VARIABLE: entry N (key) reason; consequence`, one line that never quotes the entry's text.
        public func warning(in variable: String, consequence: String) -> String {
            let name = key.map { " (\(ShownText.value($0, limit: 60)))" } ?? ""
            return "\(variable): entry \(position)\(name) \(reason); \(consequence)"
        }
    }

    public static func parse(_ text: String) -> (pairs: [KeyValue], problems: [Problem]) {
        var pairs: [KeyValue] = []
        var problems: [Problem] = []
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = entry.trimmingWhitespace()
            guard !trimmed.isEmpty else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                problems.append(Problem(position: index + 1, key: nil, reason: "is not key=value"))
                continue
            }
            let key = String(trimmed[..<equals].trimmingWhitespace())
            guard !key.isEmpty, key.utf8.allSatisfy(isTokenCharacter) else {
                problems.append(Problem(position: index + 1, key: nil, reason: "has no valid key (letters, digits and !#$%&'*+-.^_`|~)"))
                continue
            }
            guard let value = String(trimmed[trimmed.index(after: equals)...].trimmingWhitespace()).removingPercentEncoding else {
                problems.append(Problem(position: index + 1, key: key, reason: "has a % not followed by two hex digits of UTF-8"))
                continue
            }
            // No header can hold one, and in an attribute one is a mistake: `%0A` where a `%20` was meant.
            guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                problems.append(Problem(position: index + 1, key: key, reason: "has control characters in its value"))
                continue
            }
            pairs.append(KeyValue(key: key, value: value))
        }
        return (pairs, problems)
    }

    /// `pairs` as the environment variable holds them: every byte outside the Baggage value octets percent-encoded,
    /// so values with commas, `=` or `%` come back unchanged from ``parse(_:)``.
    public static func format(_ pairs: [KeyValue]) -> String {
        pairs.map { "\($0.key)=\(percentEncoded($0.value))" }.joined(separator: ",")
    }

    /// RFC 7230 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }

    /// W3C Baggage `baggage-octet`: printable ASCII except space, `"`, `,`, `;` and `\`; `%` is left out as well,
    /// since it starts an escape.
    private static let valueCharacters = CharacterSet(charactersIn: Unicode.Scalar(0x21)...Unicode.Scalar(0x7e))
        .subtracting(CharacterSet(charactersIn: "\",;\\%"))

    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: valueCharacters) ?? text
    }
}
