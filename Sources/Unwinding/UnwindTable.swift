import Binaries

/// Where a module's `.eh_frame_hdr` binary-search table lies in the traced process, in the form
/// libunwind's `dwarf_search_unwind_table` takes (`UNW_INFO_FORMAT_REMOTE_TABLE`).
///
/// Format: https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/ehframechpt.html
struct UnwindTable {
    /// Runtime address of `.eh_frame_hdr` (table entries are relative to it: `DW_EH_PE_datarel`).
    var segmentBase: UInt64
    /// Runtime address of the first table entry.
    var tableStart: UInt64
    /// Table size in `unw_word_t`s (each entry is two 4-byte values).
    var tableWords: UInt64

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
}
