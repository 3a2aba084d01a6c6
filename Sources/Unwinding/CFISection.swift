import Binaries

/// One section of call frame information in a module's file: `.eh_frame` (loaded with the program) or
/// `.debug_frame` (only in the file, left to debuggers; same rows, a few fields spelled differently).
struct CFISection {
    enum Kind {
        case ehFrame
        case debugFrame
    }

    let kind: Kind
    /// The whole file; `start..<end` is the section.
    let bytes: UnsafeRawBufferPointer
    let start: Int
    let end: Int
    /// The link-time address of `start` (what PC-relative pointers are relative to).
    let address: UInt64

    init?(kind: Kind, bytes: UnsafeRawBufferPointer, start: Int, end: Int, address: UInt64) {
        guard start >= 0, start <= end, end <= bytes.count else { return nil }
        self.kind = kind
        self.bytes = bytes
        self.start = start
        self.end = end
        self.address = address
    }

    /// A section as the section headers describe it.
    init?(kind: Kind, image: ELFImage, section: ELFSection) {
        self.init(kind: kind, bytes: image.bytes, start: section.fileOffset, end: section.fileOffset + section.size,
                  address: section.virtualAddress)
    }

    /// The bounds of a CIE or FDE and the field that tells them apart.
    struct Entry {
        /// One past the entry's last byte.
        var end: Int
        /// Where the CIE id or CIE pointer field starts.
        var idOffset: Int
        /// The CIE id or CIE pointer.
        var id: UInt64
        var isCIE: Bool
        /// Where the fields after the id start.
        var contentStart: Int
    }

    /// The entry at `offset`; `nil` at the terminator (length 0), past the section, or when its length runs
    /// past the section.
    func entry(at offset: Int) -> Entry? {
        guard offset >= start else { return nil }
        var cursor = DWARFCursor(bytes, offset: offset, limit: end)
        guard let length32 = cursor.read(UInt32.self), length32 != 0 else { return nil }
        let is64Bit = length32 == 0xffff_ffff
        guard let length = is64Bit ? cursor.read(UInt64.self) : UInt64(length32),
              length <= UInt64(end - cursor.offset)
        else { return nil }
        let idOffset = cursor.offset
        let entryEnd = idOffset + Int(length)
        cursor.limit = entryEnd
        guard let id = is64Bit ? cursor.read(UInt64.self) : cursor.read(UInt32.self).map(UInt64.init) else { return nil }
        let isCIE = switch kind {
        case .ehFrame: id == 0
        case .debugFrame: id == (is64Bit ? UInt64.max : 0xffff_ffff)
        }
        return Entry(end: entryEnd, idOffset: idOffset, id: id, isCIE: isCIE, contentStart: cursor.offset)
    }

    /// Where the CIE an FDE names starts: `.eh_frame` counts back from the pointer field, `.debug_frame`
    /// counts from the section's start.
    func cieOffset(of entry: Entry) -> Int? {
        switch kind {
        case .ehFrame:
            entry.id <= UInt64(entry.idOffset - start) ? entry.idOffset - Int(entry.id) : nil
        case .debugFrame:
            entry.id < UInt64(end - start) ? start + Int(entry.id) : nil
        }
    }

    /// The link-time address of the byte at file offset `offset`.
    func address(ofOffset offset: Int) -> UInt64 { address &+ UInt64(offset - start) }

    /// The FDEs in file order with the addresses they cover, for an index when no `.eh_frame_hdr` lists them.
    /// Stops at the terminator or at the first entry it cannot read; FDEs whose CIE cannot be read, or
    /// that cover nothing (functions the linker dropped), are left out.
    func descriptionEntries() -> [(start: UInt64, offset: Int)] {
        var found: [(start: UInt64, offset: Int)] = []
        var commonEntries: [Int: CommonInformationEntry?] = [:]
        var offset = start
        while let entry = entry(at: offset) {
            defer { offset = entry.end }
            guard !entry.isCIE, let cieOffset = cieOffset(of: entry) else { continue }
            if commonEntries[cieOffset] == nil { commonEntries[cieOffset] = try? CommonInformationEntry(in: self, at: cieOffset) }
            guard let cie = commonEntries[cieOffset] ?? nil,
                  let description = try? FrameDescriptionEntry(in: self, entry: entry, cie: cie), description.length > 0
            else { continue }
            found.append((description.start, offset))
        }
        return found
    }
}
