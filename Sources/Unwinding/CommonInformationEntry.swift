/// What the FDEs sharing one CIE have in common: alignment factors, the return-address column, how their
/// addresses are encoded, and the instructions that set up every row.
///
/// Format: DWARF 5, section 6.4.1 (`.debug_frame`), and the LSB's `.eh_frame` (augmentation string and data:
/// https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/ehframechpt.html).
struct CommonInformationEntry {
    var codeAlignment: UInt64
    var dataAlignment: Int64
    var returnAddressRegister: UInt64
    /// How an FDE's initial location (and `DW_CFA_set_loc`) is encoded (`R`; absolute 8 bytes by default).
    var pointerEncoding: UInt8 = 0
    /// The FDEs carry augmentation data whose length comes first (`z`).
    var hasAugmentationData = false
    /// The frame is a signal handler's trampoline (`S`): its caller was interrupted, not calling, so the
    /// caller's address is looked up as it is instead of one byte back.
    var isSignalFrame = false
    /// File offsets of the initial instructions.
    var instructions: Range<Int>

    /// Parses the CIE whose entry starts at `offset` in `section`.
    init(in section: CFISection, at offset: Int) throws(CFIProblem) {
        guard let entry = section.entry(at: offset), entry.isCIE else { throw .malformed }
        var cursor = DWARFCursor(section.bytes, offset: entry.contentStart, limit: entry.end)
        guard let version = cursor.read(UInt8.self), version == 1 || version == 3 || version == 4 else { throw .malformed }
        var augmentation: [UInt8] = []
        while true {
            guard let byte = cursor.read(UInt8.self) else { throw .malformed }
            if byte == 0 { break }
            augmentation.append(byte)
        }
        if version == 4 {
            // DWARF 4 and 5 add the address and segment selector sizes.
            guard cursor.read(UInt8.self) == 8, cursor.read(UInt8.self) == 0 else { throw .malformed }
        }
        guard let codeAlignment = cursor.uleb128(), let dataAlignment = cursor.sleb128(),
              let returnAddressRegister = version == 1 ? cursor.read(UInt8.self).map(UInt64.init) : cursor.uleb128()
        else { throw .malformed }
        self.codeAlignment = codeAlignment
        self.dataAlignment = dataAlignment
        self.returnAddressRegister = returnAddressRegister
        instructions = 0..<0
        try readAugmentation(augmentation, from: &cursor)
        instructions = cursor.offset..<entry.end
    }

    /// Reads the augmentation data the string announces; with `z` first, data it does not know is skipped.
    private mutating func readAugmentation(_ augmentation: [UInt8], from cursor: inout DWARFCursor) throws(CFIProblem) {
        guard augmentation.first == UInt8(ascii: "z") else {
            // Without `z` an augmentation's data has no known length (GCC's old "eh").
            guard augmentation.isEmpty else { throw .unsupported }
            return
        }
        hasAugmentationData = true
        guard let length = cursor.uleb128(), length <= UInt64(cursor.limit - cursor.offset) else { throw .malformed }
        let dataEnd = cursor.offset + Int(length)
        loop: for character in augmentation.dropFirst() {
            switch character {
            case UInt8(ascii: "R"):
                guard let encoding = cursor.read(UInt8.self) else { throw .malformed }
                pointerEncoding = encoding
            case UInt8(ascii: "L"):
                guard cursor.read(UInt8.self) != nil else { throw .malformed }
            case UInt8(ascii: "P"):
                guard let encoding = cursor.read(UInt8.self), cursor.skipPointer(encoding: encoding) else { throw .malformed }
            case UInt8(ascii: "S"):
                isSignalFrame = true
            default:
                break loop
            }
        }
        guard cursor.offset <= dataEnd else { throw .malformed }
        cursor.offset = dataEnd
    }
}
