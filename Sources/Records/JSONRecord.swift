/// One top-level record found by ``JSONRecordReader``: its raw bytes and where each member sits in them.
///
/// The bytes point into the reader's buffer and stay valid only until the reader's next call to
/// ``JSONRecordReader/next()`` (the record keeps the reader, and so the buffer, alive): copy what must outlive it.
public struct JSONRecord {
    /// Keeps the buffer that ``bytes`` points into from being freed while the record exists.
    let owner: JSONRecordReader
    /// 1-based position of the record in the file.
    public let number: Int
    /// 1-based line on which the record starts.
    public let line: Int
    /// The record's JSON text, from `{` to `}`, already validated against RFC 8259.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The object's members in file order; ranges are offsets into ``bytes``.
    public let members: [Member]
    /// Whether some string in the record holds `\u0000`, which JSON allows but PostgreSQL cannot store.
    public let containsNUL: Bool

    public struct Member: Sendable {
        /// The key's text between its quotes, still JSON-escaped when ``keyHasEscapes``.
        public var key: Range<Int>
        public var keyHasEscapes: Bool
        public var kind: Kind
        /// The value's text; for a string, the part between the quotes.
        public var value: Range<Int>
        /// For a string value: whether it contains backslash escapes.
        public var valueHasEscapes: Bool
    }

    public enum Kind: Sendable, Equatable {
        case object, array, string, number, boolean, null

        public var name: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string: "a string"
            case .number: "a number"
            case .boolean: "a boolean"
            case .null: "null"
            }
        }
    }

    public func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// The member's key, unescaped.
    public func keyText(_ member: Member) -> String {
        member.keyHasEscapes ? JSONString.decode(slice(member.key)) : String(decoding: slice(member.key), as: UTF8.self)
    }
}

/// Decoding of JSON string contents that ``JSONRecordReader`` has already validated.
public enum JSONString {
    /// Appends the UTF-8 text that the escaped string content `raw` (the bytes between the quotes) stands for.
    public static func decode(_ raw: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = raw[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexValue(raw, at: index)
                index += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hexValue(raw, at: index + 2) - 0xDC00)
                    index += 6
                }
                appendUTF8(scalar, to: &output)
            default: output.append(escape)
            }
        }
    }

    public static func decode(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        decode(raw, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    static func hexValue(_ raw: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | UInt32(hexDigitValue(raw[index + offset]))
        }
        return value
    }

    /// The value of an ASCII hex digit, or 0xFF.
    static func hexDigitValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: 0xFF
        }
    }

    static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            output.append(UInt8(scalar))
        case ..<0x800:
            output.append(0xC0 | UInt8(scalar >> 6))
            output.append(0x80 | UInt8(scalar & 0x3F))
        case ..<0x10000:
            output.append(0xE0 | UInt8(scalar >> 12))
            output.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            output.append(0x80 | UInt8(scalar & 0x3F))
        default:
            output.append(0xF0 | UInt8(scalar >> 18))
            output.append(0x80 | UInt8(scalar >> 12 & 0x3F))
            output.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            output.append(0x80 | UInt8(scalar & 0x3F))
        }
    }
}
