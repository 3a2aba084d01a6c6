import Binaries

/// Where a module's `.eh_frame_hdr` binary-search table lies in the traced process, in the form
/// libunwind's `dwarf_search_unwind_table` takes (`UNW_INFO_FORMAT_REMOTE_TABLE`), or the same table built
/// here for a module the linker wrote none for.
///
/// Format: https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/ehframechpt.html
struct UnwindTable {
    /// Runtime address the table's entries are relative to (`DW_EH_PE_datarel`): `.eh_frame_hdr`, or
    /// `.eh_frame` for a built table.
    var segmentBase: UInt64
    /// Runtime address of the first table entry.
    var tableStart: UInt64
    /// Table size in `unw_word_t`s (each entry is two 4-byte values).
    var tableWords: UInt64
    /// A built table's entries, which libunwind reads at `tableStart` through the memory accessor.
    private var builtEntries: [UInt64] = []

    /// Where built tables appear to libunwind: non-canonical x86_64 addresses, which no process can map,
    /// 4 GiB per module.
    static let builtTablesBase: UInt64 = 0x8000_0000_0000_0000

    private static let omit: UInt8 = 0xff
    /// `DW_EH_PE_datarel | DW_EH_PE_sdata4`, the only table encoding libunwind searches.
    private static let datarelSigned4: UInt8 = 0x3b

    /// `nil` when the module has no table libunwind can search, or the file's header of it does not add up
    /// (a count larger than the file, a truncated header): every value here comes from the file.
    init?(module: LoadedModule) {
        guard let image = module.image, let header = image.ehFrameHeader,
              let offset = image.fileOffset(ofVirtualAddress: header.lowerBound)
        else { return nil }
        let data = ByteReader(image.bytes)
        guard let version = data.load(UInt8.self, at: offset), let framePointerEncoding = data.load(UInt8.self, at: offset + 1),
              let countEncoding = data.load(UInt8.self, at: offset + 2), let tableEncoding = data.load(UInt8.self, at: offset + 3),
              version == 1, tableEncoding == Self.datarelSigned4, countEncoding != Self.omit,
              let pointerSize = Self.size(of: framePointerEncoding), let countSize = Self.size(of: countEncoding)
        else { return nil }
        let countOffset = offset + 4 + pointerSize
        let count: UInt64? = switch countSize {
        case 2: data.load(UInt16.self, at: countOffset).map(UInt64.init)
        case 4: data.load(UInt32.self, at: countOffset).map(UInt64.init)
        default: data.load(UInt64.self, at: countOffset)
        }
        let tableOffset = countOffset + countSize
        guard let count, tableOffset <= image.bytes.count, count <= UInt64(image.bytes.count - tableOffset) / 8 else { return nil }
        segmentBase = header.lowerBound &+ module.loadBias
        tableStart = segmentBase &+ UInt64(tableOffset - offset)
        tableWords = count * 8 / UInt64(MemoryLayout<UInt64>.size)
    }

    /// Byte size of a `DW_EH_PE_*` encoded value (low nibble: the format).
    private static func size(of encoding: UInt8) -> Int? {
        switch encoding & 0x0f {
        case 0x00, 0x04, 0x0c: 8  // absptr, udata8, sdata8
        case 0x03, 0x0b: 4  // udata4, sdata4
        case 0x02, 0x0a: 2  // udata2, sdata2
        default: nil
        }
    }

    /// The table `ld --eh-frame-hdr` would have written, from `.eh_frame` itself, for the module at
    /// `index` of its module map; `nil` when it has no `.eh_frame` section or an FDE lies more than 2 GiB
    /// from it.
    init?(buildingFor module: LoadedModule, index: Int) {
        guard let image = module.image, let section = image.section(named: ".eh_frame"),
              let frames = CFISection(kind: .ehFrame, image: image, section: section)
        else { return nil }
        var entries: [UInt64] = []
        for (start, offset) in frames.descriptionEntries().sorted(by: { $0.start < $1.start }) {
            guard let location = Int32(exactly: Int64(bitPattern: start &- section.virtualAddress)),
                  let description = Int32(exactly: offset - section.fileOffset)
            else { return nil }
            entries.append(UInt64(UInt32(bitPattern: location)) | UInt64(UInt32(bitPattern: description)) << 32)
        }
        segmentBase = section.virtualAddress &+ module.loadBias
        tableStart = Self.builtTablesBase + UInt64(index) << 32
        tableWords = UInt64(entries.count)
        builtEntries = entries
    }

    /// The 8 bytes at `address` of a built table, if they lie in it (nothing of a table the file has).
    func builtWord(at address: UInt64) -> UInt64? {
        guard address >= tableStart, (address - tableStart) / 8 < UInt64(builtEntries.count) else { return nil }
        let offset = address - tableStart
        let index = Int(offset / 8)
        let shift = offset % 8 * 8
        let next = index + 1 < builtEntries.count && shift > 0 ? builtEntries[index + 1] << (64 - shift) : 0
        return builtEntries[index] >> shift | next
    }
}
