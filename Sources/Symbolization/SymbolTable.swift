import Binaries

/// An image's function symbols sorted by address, for "which function holds this address" lookups.
public struct SymbolTable: Sendable {
    private let symbols: [ELFSymbol]

    public init(image: ELFImage) {
        self.init(symbols: image.functionSymbols())
    }

    public init(symbols: [ELFSymbol]) {
        // Aliases share an address; keep one, preferring a sized symbol and then the shortest name.
        let sorted = symbols.sorted {
            ($0.address, $0.size == 0 ? 1 : 0, $0.name.utf8.count) < ($1.address, $1.size == 0 ? 1 : 0, $1.name.utf8.count)
        }
        var unique: [ELFSymbol] = []
        unique.reserveCapacity(sorted.count)
        for symbol in sorted where unique.last?.address != symbol.address { unique.append(symbol) }
        self.symbols = unique
    }

    public var count: Int { symbols.count }

    /// The symbol whose range holds `virtualAddress` (an unsized symbol covers up to the next one).
    public func symbol(containing virtualAddress: UInt64) -> ELFSymbol? {
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= virtualAddress { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        return symbol.size == 0 || virtualAddress - symbol.address < symbol.size ? symbol : nil
    }
}
