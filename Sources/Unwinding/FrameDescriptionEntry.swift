/// The call frame information of one function (or other code range): the addresses it covers and the
/// instructions that describe its rows, on top of its CIE's.
///
/// Format: DWARF 5, section 6.4.1, with the LSB's `.eh_frame` changes (the CIE pointer counts back from
/// itself, the initial location is encoded as the CIE's `R` says, augmentation data after the range).
struct FrameDescriptionEntry {
    var cie: CommonInformationEntry
    /// The first address covered (link-time).
    var start: UInt64
    var length: UInt64
    /// File offsets of the instructions.
    var instructions: Range<Int>

    /// Parses the FDE whose entry starts at `offset` in `section`, and its CIE.
    init(in section: CFISection, at offset: Int) throws(CFIProblem) {
        guard let entry = section.entry(at: offset), !entry.isCIE, let cieOffset = section.cieOffset(of: entry) else {
            throw .malformed
        }
        try self.init(in: section, entry: entry, cie: CommonInformationEntry(in: section, at: cieOffset))
    }

    init(in section: CFISection, entry: CFISection.Entry, cie: CommonInformationEntry) throws(CFIProblem) {
        var cursor = DWARFCursor(section.bytes, offset: entry.contentStart, limit: entry.end)
        guard let start = cursor.pointer(encoding: cie.pointerEncoding, fieldAddress: section.address(ofOffset: cursor.offset))
        else { throw DWARFCursor.canRead(pointerEncoding: cie.pointerEncoding) ? .malformed : .unsupported }
        // The range has the initial location's format, never an application: it is a length.
        guard let length = cursor.value(format: cie.pointerEncoding & 0x0f) else { throw .malformed }
        if cie.hasAugmentationData {
            guard let dataLength = cursor.uleb128(), dataLength <= UInt64(entry.end - cursor.offset) else { throw .malformed }
            cursor.offset += Int(dataLength)
        }
        self.cie = cie
        self.start = start
        self.length = length
        instructions = cursor.offset..<entry.end
    }

    func covers(_ address: UInt64) -> Bool { address >= start && address - start < length }
}
