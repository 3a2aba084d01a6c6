/// Finds the FDE that may cover an address in one CFI section: the last one starting at or below it.
///
/// The linker usually writes the table (`.eh_frame_hdr`, searched where it lies in the file); where it did
/// not (`gcc -static` links without `--eh-frame-hdr`, and `.debug_frame` never has one), the table is
/// built here by reading every FDE once and sorting them by address.
struct CFIIndex {
    private enum Table {
        /// `.eh_frame_hdr`'s entries: `count` pairs of signed 4-byte offsets from `base` (initial location,
        /// FDE address), sorted by location, starting at `offset` in `bytes` (which hold all of them).
        case header(bytes: UnsafeRawBufferPointer, offset: Int, count: Int, base: UInt64)
        /// Pairs of initial location and the FDE's file offset, sorted by location.
        case sorted([(start: UInt64, offset: Int)])
    }

    let section: CFISection
    private let table: Table

    /// The table of `.eh_frame_hdr` at file offset `headerOffset` (link-time address `headerAddress`),
    /// with the section it indexes; `nil` when the header is not one this can read.
    ///
    /// Format: https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/ehframechpt.html
    init?(header bytes: UnsafeRawBufferPointer, at headerOffset: Int, address headerAddress: UInt64,
          section: (UInt64) -> CFISection?) {
        var cursor = DWARFCursor(bytes, offset: headerOffset, limit: bytes.count)
        guard cursor.read(UInt8.self) == 1, let frameEncoding = cursor.read(UInt8.self),
              let countEncoding = cursor.read(UInt8.self), cursor.read(UInt8.self) == Self.datarelSigned4,
              let frameAddress = cursor.pointer(encoding: frameEncoding, fieldAddress: headerAddress &+ 4),
              let count = cursor.value(format: countEncoding & 0x0f),
              count <= UInt64(cursor.limit - cursor.offset) / 8,
              let section = section(frameAddress)
        else { return nil }
        self.section = section
        table = .header(bytes: bytes, offset: cursor.offset, count: Int(count), base: headerAddress)
    }

    /// A table built from every FDE of `section`.
    init(scanning section: CFISection) {
        self.section = section
        // Of FDEs starting at one address (which no linker writes), the search finds the last in the file.
        table = .sorted(section.descriptionEntries().sorted { ($0.start, $0.offset) < ($1.start, $1.offset) })
    }

    /// `DW_EH_PE_datarel | DW_EH_PE_sdata4`: the only table encoding linkers write (and libunwind searches).
    private static let datarelSigned4: UInt8 = 0x3b

    /// The file offset of the FDE with the greatest initial location at or below `address` (link-time).
    func descriptionOffset(before address: UInt64) -> Int? {
        switch table {
        case let .header(bytes, offset, count, base):
            func start(_ index: Int) -> UInt64 {
                base &+ UInt64(bitPattern: Int64(bytes.loadUnaligned(fromByteOffset: offset + 8 * index, as: Int32.self)))
            }
            guard let index = Self.lastIndex(count: count, atOrBelow: address, start: start) else { return nil }
            let fdeAddress = base &+ UInt64(bitPattern: Int64(bytes.loadUnaligned(fromByteOffset: offset + 8 * index + 4, as: Int32.self)))
            let fdeOffset = fdeAddress &- section.address
            return fdeOffset < UInt64(section.end - section.start) ? section.start + Int(fdeOffset) : nil
        case let .sorted(entries):
            return Self.lastIndex(count: entries.count, atOrBelow: address) { entries[$0].start }.map { entries[$0].offset }
        }
    }

    /// The rule at `address` (link-time) from the FDE covering it; `nil` when none does.
    func rule(at address: UInt64) -> UnwindRule? {
        guard let offset = descriptionOffset(before: address) else { return nil }
        do {
            let description = try FrameDescriptionEntry(in: section, at: offset)
            guard description.covers(address) else { return nil }
            return UnwindRule(row: try CFIRow(description: description, in: section, at: address), cie: description.cie)
        } catch .unsupported {
            return .libunwind
        } catch {
            return .endOfStack
        }
    }

    /// The first address (link-time) of the FDE covering `address`: the function's entry point.
    func functionStart(at address: UInt64) -> UInt64? {
        guard let offset = descriptionOffset(before: address),
              let description = try? FrameDescriptionEntry(in: section, at: offset), description.covers(address)
        else { return nil }
        return description.start
    }

    /// Binary search for the last of `count` ascending starts that is at or below `address`.
    private static func lastIndex(count: Int, atOrBelow address: UInt64, start: (Int) -> UInt64) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if start(middle) <= address { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? low - 1 : nil
    }
}
