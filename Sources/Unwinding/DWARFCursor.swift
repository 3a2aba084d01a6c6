/// Bounds-checked reads of DWARF call frame information, little-endian, from a position in a byte buffer
/// up to a limit.
///
/// Every read that would cross the limit, every LEB128 number longer than ten bytes or wider than 64 bits,
/// and every pointer encoding this does not know yields `nil`: CFI comes from files the profiled program
/// chose, and a truncated or hostile section must end a stack, never crash the profiler.
struct DWARFCursor {
    let bytes: UnsafeRawBufferPointer
    /// Where the next read starts.
    var offset: Int
    /// One past the last byte this cursor may read.
    var limit: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int, limit: Int) {
        self.bytes = bytes
        self.offset = offset
        self.limit = min(limit, bytes.count)
    }

    var isAtEnd: Bool { offset >= limit }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, offset >= 0, count <= limit - offset else { return false }
        offset += count
        return true
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, size <= limit - offset else { return nil }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    mutating func uleb128() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = read(UInt8.self) {
            let bits = UInt64(byte & 0x7f)
            guard shift < 64, shift == 0 || bits >> (64 - shift) == 0 else { return nil }
            result |= bits << shift
            shift += 7
            if byte & 0x80 == 0 { return result }
        }
        return nil
    }

    mutating func sleb128() -> Int64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = read(UInt8.self) {
            guard shift < 64 else { return nil }
            result |= UInt64(byte & 0x7f) << shift
            shift += 7
            if byte & 0x80 == 0 {
                if shift < 64, byte & 0x40 != 0 { result |= ~0 << shift }
                return Int64(bitPattern: result)
            }
        }
        return nil
    }

    /// A pointer in one of the `DW_EH_PE_*` encodings of the LSB's `.eh_frame` format: its format in the low
    /// nibble, how it applies in bits 4–6. Absolute and PC-relative values are supported (what linkers write
    /// for x86_64); `fieldAddress` is the link-time address of the byte at `offset`.
    ///
    /// https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/dwarfext.html
    mutating func pointer(encoding: UInt8, fieldAddress: UInt64) -> UInt64? {
        guard Self.canRead(pointerEncoding: encoding), let value = value(format: encoding & 0x0f) else { return nil }
        return encoding & 0x70 == 0x10 ? fieldAddress &+ value : value
    }

    /// Whether ``pointer(encoding:fieldAddress:)`` resolves this encoding: absolute or PC-relative, not
    /// indirect (`0x80`, a pointer to the value), and a known format.
    static func canRead(pointerEncoding encoding: UInt8) -> Bool {
        encoding & 0xf0 == 0x00 || encoding & 0xf0 == 0x10
    }

    /// Steps over a pointer of any application (a personality routine is never followed).
    mutating func skipPointer(encoding: UInt8) -> Bool {
        value(format: encoding & 0x0f) != nil
    }

    /// The value of a `DW_EH_PE_*` format, sign-extended for the signed ones.
    mutating func value(format: UInt8) -> UInt64? {
        switch format {
        case 0x00, 0x04: read(UInt64.self)  // absptr (8 bytes on x86_64), udata8
        case 0x01: uleb128()
        case 0x02: read(UInt16.self).map(UInt64.init)
        case 0x03: read(UInt32.self).map(UInt64.init)
        case 0x09: sleb128().map { UInt64(bitPattern: $0) }
        case 0x0a: read(Int16.self).map { UInt64(bitPattern: Int64($0)) }
        case 0x0b: read(Int32.self).map { UInt64(bitPattern: Int64($0)) }
        case 0x0c: read(Int64.self).map { UInt64(bitPattern: $0) }
        default: nil
        }
    }
}
