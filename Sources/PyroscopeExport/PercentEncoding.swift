/// Percent-encoding of query values: everything but RFC 3986's unreserved characters is encoded, so that `{`,
/// `}`, `=`, `,`, `"` and `&` inside a value never change how the server splits the query.
enum PercentEncoding {
    static func encoded(_ text: String, keeping extra: Set<UInt8> = []) -> String {
        var result = ""
        for byte in text.utf8 {
            if isUnreserved(byte) || extra.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return result
    }

    /// `k=v&k2=v2` with every name and value encoded.
    static func query(_ items: [(name: String, value: String)]) -> String {
        items.map { "\(encoded($0.name))=\(encoded($0.value))" }.joined(separator: "&")
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
