import Binaries
import Glibc
import Profiles
import Synchronization

/// Names addresses from module symbol tables, building each image's table once on first use, and code
/// outside every file from its runtime's perf map (``PerfMap``).
public final class Symbolizer: Sendable {
    /// A named function: readable and as written in the symbol table.
    public struct Symbol: Sendable, Hashable {
        public var name: String
        public var symbolName: String
    }

    /// What a frame shows. Not `isFinal` when a later look may name it (code in no file, which a runtime's
    /// perf map may name once the runtime has written its line).
    public struct FrameName: Sendable, Hashable {
        public var name: String
        public var symbolName: String?
        public var isFinal: Bool
    }

    /// What a frame in no file and no perf map shows, as perf shows it; inside a module's range (memory
    /// between its mappings, such as node's text copied to huge pages) the module's name follows:
    /// `[unknown] (node)`.
    public static let unknown = "[unknown]"

    private let tables = Mutex<[ObjectIdentifier: (image: ELFImage, table: SymbolTable)]>([:])
    /// Demangled names by mangled name, so that the thousand processes of one program sampled in a build share one
    /// string per function instead of demangling it again each (9 MB of a 2,000-file build's peak before). Bounded
    /// by the functions that samples land in.
    private let demangled = Mutex<[String: String]>([:])
    private let perfMapDirectory: String

    /// - Parameter perfMapDirectory: where runtimes write `perf-PID.map` (tests point it elsewhere).
    public init(perfMapDirectory: String = "/tmp") {
        self.perfMapDirectory = perfMapDirectory
    }

    /// The function holding `address` (a runtime address in `module`), demangled; `nil` when no symbol covers
    /// it or the file is not mapped there.
    public func symbol(at address: UInt64, in module: LoadedModule) -> Symbol? {
        guard let image = module.image, let virtualAddress = module.fileVirtualAddress(of: address),
              let symbol = table(for: image).symbol(containing: virtualAddress)
        else { return nil }
        return Symbol(name: demangle(symbol.name), symbolName: symbol.name)
    }

    /// What a frame shows: the function name, else `module+0xOFFSET` (file virtual address) where the file is
    /// mapped, else `[unknown] (module)` in the module's range, else `[unknown]`.
    public func frameName(at address: UInt64, in module: LoadedModule?) -> (name: String, symbolName: String?) {
        guard let module else { return (Self.unknown, nil) }
        guard let virtualAddress = module.fileVirtualAddress(of: address) else { return ("\(Self.unknown) (\(module.name))", nil) }
        if let symbol = symbol(at: address, in: module) { return (symbol.name, symbol.symbolName) }
        return ("\(module.name)+0x" + String(virtualAddress, radix: 16), nil)
    }

    /// The names of `addresses` in process `pid`, whose modules are `modules`: from the files mapped there,
    /// and for code in no file from the process's perf map, read once for all of them (`readingPerfMap`; else
    /// such code is not named yet).
    public func frameNames(of addresses: some Sequence<UInt64>, in modules: ModuleMap, pid: pid_t, readingPerfMap: Bool = true) -> [UInt64: FrameName] {
        var names: [UInt64: FrameName] = [:]
        var outsideFiles: [UInt64] = []
        for address in addresses where names[address] == nil {
            guard address != KernelFrame.address else {
                names[address] = FrameName(name: KernelFrame.name, symbolName: nil, isFinal: true)
                continue
            }
            let module = modules.module(containing: address)
            guard let module, module.fileVirtualAddress(of: address) != nil else {
                outsideFiles.append(address)
                continue
            }
            let (name, symbolName) = frameName(at: address, in: module)
            names[address] = FrameName(name: name, symbolName: symbolName, isFinal: true)
        }
        let compiled = readingPerfMap ? perfMapNames(of: outsideFiles, pid: pid) : [:]
        for address in outsideFiles {
            if let name = compiled[address] {
                names[address] = FrameName(name: name, symbolName: name, isFinal: true)
            } else {
                names[address] = FrameName(name: frameName(at: address, in: modules.module(containing: address)).name,
                                           symbolName: nil, isFinal: false)
            }
        }
        return names
    }

    /// What process `pid`'s perf map (`perf-PID.map`, written by a JIT) says of `addresses`, read now.
    public func perfMapNames(of addresses: [UInt64], pid: pid_t) -> [UInt64: String] {
        PerfMap.names(of: addresses, path: PerfMap.path(pid: pid, directory: perfMapDirectory))
    }

    private func demangle(_ name: String) -> String {
        if let cached = demangled.withLock({ $0[name] }) { return cached }
        let readable = Demangler.demangle(name)
        demangled.withLock { $0[name] = readable }
        return readable
    }

    private func table(for image: ELFImage) -> SymbolTable {
        let key = ObjectIdentifier(image)
        if let cached = tables.withLock({ $0[key]?.table }) { return cached }
        let table = SymbolTable(image: image, addingSymbolsOf: image.hasSymbolTable ? nil : DebugFile.locate(for: image))
        tables.withLock { $0[key] = (image, table) }
        return table
    }
}
