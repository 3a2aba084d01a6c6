import Binaries

/// A module's call frame information: `.eh_frame` through its `.eh_frame_hdr` table, or through a table
/// built here when the linker wrote none, and `.debug_frame` for code that `.eh_frame` does not cover.
///
/// perf, like libunwind's remote API, searches only `.eh_frame_hdr`, and without it unwinds such a binary to
/// a single frame (``UnwindTable`` builds the table for libunwind here).
struct ModuleCFI {
    private let indexes: [CFIIndex]

    init(image: ELFImage) {
        var indexes: [CFIIndex] = []
        if let index = Self.headerIndex(image) ?? image.section(named: ".eh_frame").flatMap({ Self.scannedIndex(image, $0, .ehFrame) }) {
            indexes.append(index)
        }
        if let section = image.section(named: ".debug_frame"), let index = Self.scannedIndex(image, section, .debugFrame) {
            indexes.append(index)
        }
        self.indexes = indexes
    }

    /// The rule at `address` (link-time), looked up in `.eh_frame` first; ``UnwindRule/libunwind`` where no
    /// FDE covers it, for libunwind's frame-pointer and PLT heuristics.
    func rule(at address: UInt64) -> UnwindRule {
        indexes.lazy.compactMap { $0.rule(at: address) }.first ?? .libunwind
    }

    /// The entry point (link-time) of the function whose FDE covers `address`.
    func functionStart(at address: UInt64) -> UInt64? {
        indexes.lazy.compactMap { $0.functionStart(at: address) }.first
    }

    private static func headerIndex(_ image: ELFImage) -> CFIIndex? {
        guard let header = image.ehFrameHeader, let offset = image.fileOffset(ofVirtualAddress: header.lowerBound) else {
            return nil
        }
        let section = image.section(named: ".eh_frame")
        return CFIIndex(header: image.bytes, at: offset, address: header.lowerBound) { address in
            // Without section headers, `.eh_frame` ends where the file's part of its segment does, or where the
            // file does if the program header claims more.
            guard let start = image.fileOffset(ofVirtualAddress: address) else { return nil }
            let end = section.map { $0.fileOffset + $0.size }
                ?? image.loadSegments.first { address >= $0.virtualAddress && address - $0.virtualAddress < $0.fileSize }
                .map { segment in
                    let (end, overflow) = segment.fileOffset.addingReportingOverflow(segment.fileSize)
                    return Int(overflow ? UInt64(image.bytes.count) : min(end, UInt64(image.bytes.count)))
                }
            return end.flatMap { CFISection(kind: .ehFrame, bytes: image.bytes, start: start, end: $0, address: address) }
        }
    }

    private static func scannedIndex(_ image: ELFImage, _ section: ELFSection, _ kind: CFISection.Kind) -> CFIIndex? {
        CFISection(kind: kind, image: image, section: section).map(CFIIndex.init(scanning:))
    }
}
