import Profiles

/// OTEP 4947's "Thread-Local Context Record", read from a stopped thread: trace-id[16], span-id[8], valid,
/// trace-flags, attrs-data-size (uint16, host order), then `attrs-data` entries of key index, length and value.
/// (https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4947-thread-ctx.md)
///
/// Everything in it comes from the sampled program: a record that is not `valid` = 1, has no ids, or claims more
/// attribute bytes than the OTEP's 640-byte bound gives no labels; an entry cut short ends the attributes.
enum ThreadContextRecord {
    /// The fixed part, up to and including `attrs-data-size`, read first.
    static let headerSize = 28
    /// Attribute bytes read at most: the OTEP recommends records stay within 640 bytes (the eBPF profiler's
    /// limit); a larger size is treated as a record being garbage.
    static let maximumAttributesSize = 640
    /// The attribute whose value names the span (``SpanLabels/name``).
    static let spanNameKey = "span_name"

    /// The attribute bytes the header announces, or `nil` when the record is not one to read further.
    static func attributesSize(header: UnsafeRawBufferPointer) -> Int? {
        guard header.count >= headerSize, header[24] == 1 else { return nil }
        let size = Int(header.loadUnaligned(fromByteOffset: 26, as: UInt16.self))
        return size <= maximumAttributesSize ? size : nil
    }

    /// The labels of a record whose header passed ``attributesSize(header:)``; `unknownKey` when an entry's key index
    /// is outside `keyMap` (the OTEP: ignore it, and refresh the map).
    static func labels(header: UnsafeRawBufferPointer, attributes: UnsafeRawBufferPointer, keyMap: [String]) -> (labels: SpanLabels, unknownKey: Bool)? {
        let traceID = UnsafeRawBufferPointer(rebasing: header[0..<16])
        let spanID = UnsafeRawBufferPointer(rebasing: header[16..<24])
        guard traceID.contains(where: { $0 != 0 }), spanID.contains(where: { $0 != 0 }) else { return nil }
        var name: String?
        var unknownKey = false
        var offset = 0
        while offset + 2 <= attributes.count {
            let key = Int(attributes[offset])
            let end = offset + 2 + Int(attributes[offset + 1])
            guard end <= attributes.count else { break }
            if key >= keyMap.count {
                unknownKey = true
            } else if keyMap[key] == spanNameKey {
                // The last occurrence of a key wins (the OTEP lets writers append an update).
                name = String(decoding: UnsafeRawBufferPointer(rebasing: attributes[(offset + 2)..<end]), as: UTF8.self)
            }
            offset = end
        }
        return (SpanLabels(traceID: hex(traceID), spanID: hex(spanID), name: name), unknownKey)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = digits[Int(byte >> 4)]
                buffer[2 * index + 1] = digits[Int(byte & 0xf)]
            }
            return bytes.count * 2
        }
    }
}
