/// Writes an ``OrderRecord`` as one line of compact JSON (RFC 8259) into a reused byte buffer.
///
/// Hand-written rather than `JSONEncoder`: Foundation's encoder builds an intermediate tree and a `String`
/// per value and manages ~30 MB/s here, while appending bytes to a buffer that is reused for the whole
/// run costs no allocation per record. Member order is fixed (``OrderRecord/Field``), so output is stable.
public enum OrderJSONWriter {
    public static func append(_ record: OrderRecord, to buffer: inout [UInt8]) {
        appendRaw("{\"id\":", to: &buffer)
        appendInteger(record.id, to: &buffer)
        appendRaw(",\"created_at\":\"", to: &buffer)
        Timestamp.appendRFC3339(milliseconds: record.createdAtMilliseconds, to: &buffer)
        appendRaw("\",\"status\":", to: &buffer)
        appendString(record.status, to: &buffer)
        appendRaw(",\"customer_name\":", to: &buffer)
        appendString(record.customerName, to: &buffer)
        appendRaw(",\"customer_email\":", to: &buffer)
        appendString(record.customerEmail, to: &buffer)
        appendRaw(",\"currency\":", to: &buffer)
        appendString(record.currency, to: &buffer)
        appendRaw(",\"total\":", to: &buffer)
        appendAmount(cents: record.totalCents, to: &buffer)
        appendRaw(",\"items\":[", to: &buffer)
        for (position, item) in record.items.enumerated() {
            appendRaw(position == 0 ? "{\"sku\":" : ",{\"sku\":", to: &buffer)
            appendString(item.sku, to: &buffer)
            appendRaw(",\"name\":", to: &buffer)
            appendString(item.name, to: &buffer)
            appendRaw(",\"quantity\":", to: &buffer)
            appendInteger(Int64(item.quantity), to: &buffer)
            appendRaw(",\"unit_price\":", to: &buffer)
            appendAmount(cents: item.unitPriceCents, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        appendRaw("],\"shipping\":{\"street\":", to: &buffer)
        appendString(record.shipping.street, to: &buffer)
        appendRaw(",\"city\":", to: &buffer)
        appendString(record.shipping.city, to: &buffer)
        appendRaw(",\"postal_code\":", to: &buffer)
        appendString(record.shipping.postalCode, to: &buffer)
        appendRaw(",\"country\":", to: &buffer)
        appendString(record.shipping.country, to: &buffer)
        appendRaw("},\"note\":", to: &buffer)
        if let note = record.note { appendString(note, to: &buffer) } else { appendRaw("null", to: &buffer) }
        buffer.append(UInt8(ascii: "}"))
    }

    /// Appends bytes that need no escaping; `StaticString` keeps them out of the allocator.
    @inline(__always)
    static func appendRaw(_ text: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`; everything else,
    /// non-ASCII included, as UTF-8.
    static func appendString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var clean = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean..<index]))
                clean = index + 1
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
                case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "t"))
                case 0x08: buffer.append(UInt8(ascii: "b"))
                case 0x0C: buffer.append(UInt8(ascii: "f"))
                default:
                    appendRaw("u00", to: &buffer)
                    buffer.append(hexDigits[Int(byte >> 4)])
                    buffer.append(hexDigits[Int(byte & 0xF)])
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean...]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            buffer.append(contentsOf: scratch[(24 - count)...])
        }
    }

    /// `cents` as a decimal number with exactly two fractional digits: `1250` → `12.50`.
    static func appendAmount(cents: Int64, to buffer: inout [UInt8]) {
        if cents < 0 { buffer.append(UInt8(ascii: "-")) }
        let magnitude = cents.magnitude
        appendInteger(Int64(magnitude / 100), to: &buffer)
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 100 / 10))
        buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
