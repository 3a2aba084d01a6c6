import Binaries

/// An image's function symbols sorted by address, for "which function holds this address" lookups.
public struct SymbolTable: Sendable {
    private let symbols: [ELFSymbol]
    /// One past the last address each symbol covers.
    private let ends: [UInt64]

    /// The image's functions and its PLT entries (`foo@plt`).
    public init(image: ELFImage, addingSymbolsOf debugFile: ELFImage? = nil) {
        self.init(symbols: image.functionSymbols() + (debugFile?.functionSymbols() ?? []) + image.procedureLinkageTableSymbols(),
                  codeRanges: image.codeRanges())
    }

    /// - Parameter codeRanges: where code lies (``ELFImage/codeRanges()``); an unsized symbol covers up to the
    ///   next symbol but never past the end of its range, so nothing beyond the code it is in gets its name
    ///   (`_fini`, unsized and last in `.fini`, would otherwise name every address above it). Without ranges
    ///   (nothing known) an unsized symbol covers up to the next symbol, and the last one only its own address.
    public init(symbols: [ELFSymbol], codeRanges: [Range<UInt64>] = []) {
        // Aliases share an address; keep one, preferring a sized symbol and then the shortest name.
        let sorted = symbols.sorted {
            ($0.address, $0.size == 0 ? 1 : 0, $0.name.utf8.count) < ($1.address, $1.size == 0 ? 1 : 0, $1.name.utf8.count)
        }
        var unique: [ELFSymbol] = []
        unique.reserveCapacity(sorted.count)
        for symbol in sorted where unique.last?.address != symbol.address { unique.append(symbol) }
        self.symbols = unique
        ends = unique.indices.map { index in
            let symbol = unique[index]
            guard symbol.size == 0 else {
                let (end, overflow) = symbol.address.addingReportingOverflow(symbol.size)
                return overflow ? UInt64.max : end
            }
            let next = index + 1 < unique.count ? unique[index + 1].address : UInt64.max
            let limit = codeRanges.first { $0.contains(symbol.address) }?.upperBound
                ?? (codeRanges.isEmpty ? next : symbol.address)
            let end = min(next, limit)
            return end == UInt64.max ? symbol.address &+ 1 : max(end, symbol.address &+ 1)
        }
    }

    public var count: Int { symbols.count }

    /// The symbol whose range holds `virtualAddress`.
    public func symbol(containing virtualAddress: UInt64) -> ELFSymbol? {
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= virtualAddress { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let index = low - 1
        return virtualAddress < ends[index] || (ends[index] == UInt64.max) ? symbols[index] : nil
    }
}
