import Binaries
import Synchronization

/// Names addresses from module symbol tables, building each image's table once on first use.
public final class Symbolizer: Sendable {
    /// A named function: readable and as written in the symbol table.
    public struct Symbol: Sendable, Hashable {
        public var name: String
        public var symbolName: String
    }

    private let tables = Mutex<[ObjectIdentifier: (image: ELFImage, table: SymbolTable)]>([:])

    public init() {}

    /// The function holding `address` (a runtime address in `module`), demangled; `nil` when no symbol covers it.
    public func symbol(at address: UInt64, in module: LoadedModule) -> Symbol? {
        guard let image = module.image,
              let symbol = table(for: image).symbol(containing: module.virtualAddress(of: address))
        else { return nil }
        return Symbol(name: Demangler.demangle(symbol.name), symbolName: symbol.name)
    }

    /// What a frame shows: the function name, else `module+0xOFFSET` (file virtual address), else the address.
    public func frameName(at address: UInt64, in module: LoadedModule?) -> (name: String, symbolName: String?) {
        guard let module else { return ("0x" + String(address, radix: 16), nil) }
        if let symbol = symbol(at: address, in: module) { return (symbol.name, symbol.symbolName) }
        return ("\(module.name)+0x" + String(module.virtualAddress(of: address), radix: 16), nil)
    }

    private func table(for image: ELFImage) -> SymbolTable {
        let key = ObjectIdentifier(image)
        if let cached = tables.withLock({ $0[key]?.table }) { return cached }
        let table = image.hasSymbolTable
            ? SymbolTable(image: image)
            : SymbolTable(symbols: image.functionSymbols() + (DebugFile.locate(for: image)?.functionSymbols() ?? []))
        tables.withLock { $0[key] = (image, table) }
        return table
    }
}
