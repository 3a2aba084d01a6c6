import Binaries

/// Reads the traced process's code and read-only data where it has them mapped, from the module files
/// mapped in this process: what unwinding reads beyond the stack copy (CFI, PLT code, a frame pointer that
/// points into a module).
final class ModuleMemory {
    let modules: ModuleMap
    /// The module the last read hit: consecutive reads are mostly in the same one.
    private var lastIndex: Int?

    init(modules: ModuleMap) { self.modules = modules }

    /// The index of the module holding `address`, trying the last one found first.
    func moduleIndex(containing address: UInt64) -> Int? {
        if let last = lastIndex, modules.modules[last].contains(address) { return last }
        guard let found = modules.index(containing: address) else { return nil }
        lastIndex = found
        return found
    }

    /// An 8-byte word of a module's file contents at runtime address `address`.
    func word(at address: UInt64) -> UInt64? {
        guard let index = moduleIndex(containing: address) else { return nil }
        let module = modules.modules[index]
        guard let image = module.image, let offset = image.fileOffset(ofVirtualAddress: module.virtualAddress(of: address)),
              offset <= image.bytes.count - 8
        else { return nil }
        return image.bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }

    /// Where the `call rel32` (E8) ending right before `address` goes, if one does: what a return address pushed by a
    /// direct call shows of its callee.
    func directCallTarget(returningTo address: UInt64) -> UInt64? {
        guard address >= 8, let code = word(at: address - 8), UInt8(truncatingIfNeeded: code >> 24) == 0xe8 else { return nil }
        return address &+ UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: code >> 32)))
    }

    /// A word of the snapshot's stack copy or, outside it, of a module: libunwind's memory accessor.
    func word(at address: UInt64, stack snapshot: ThreadSnapshot) -> UInt64? {
        snapshot.stackWord(at: address) ?? word(at: address)
    }
}
