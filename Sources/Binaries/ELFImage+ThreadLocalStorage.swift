import Glibc

extension ELFImage {
    /// The file's TLS template (`PT_TLS`): what each thread's block for this module is made from.
    public struct ThreadLocalTemplate: Sendable, Hashable {
        public var virtualAddress: UInt64
        public var memorySize: UInt64
        public var alignment: UInt64
    }

    /// A thread-local variable exported in `.dynsym`: its index there and its offset in the module's TLS block
    /// (for `STT_TLS` symbols of executables and shared objects, `st_value` is that offset).
    public struct ThreadLocalSymbol: Sendable, Hashable {
        public var index: UInt64
        public var offset: UInt64
    }

    /// A dynamic relocation that tells the running program where a thread-local variable is (System V x86-64
    /// psABI, "Thread-Local Storage"; Drepper, "ELF Handling For Thread-Local Storage", section 4.3).
    public struct ThreadLocalRelocation: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// `R_X86_64_TLSDESC`: a two-word descriptor (resolver function, argument) in the GOT.
            case descriptor
            /// `R_X86_64_TPOFF64`: initial-exec, the GOT slot holds the offset from the thread pointer.
            case threadPointerOffset
            /// `R_X86_64_DTPMOD64`: legacy general-dynamic, the GOT holds a module id and an offset (`tls_index`).
            case moduleAndOffset
        }
        public var kind: Kind
        /// The GOT slot's virtual address in the file (add the load bias).
        public var slot: UInt64
    }

    public var threadLocalTemplate: ThreadLocalTemplate? {
        let reader = ELFReader(bytes)
        guard let header = reader.header,
              let tls = reader.programHeaders(header).first(where: { $0.p_type == UInt32(PT_TLS) })
        else { return nil }
        return ThreadLocalTemplate(virtualAddress: tls.p_vaddr, memorySize: tls.p_memsz, alignment: max(1, tls.p_align))
    }

    /// The defined `STT_TLS` symbol `name` of `.dynsym`, where readers outside the process look for exported
    /// variables (OTEP 4947 requires `otel_thread_ctx_v1` there).
    public func threadLocalSymbol(named name: String) -> ThreadLocalSymbol? {
        guard let symbol = definedSymbol(named: name, in: .dynamic), symbol.isThreadLocal else { return nil }
        return ThreadLocalSymbol(index: symbol.index, offset: symbol.value)
    }

    /// A defined symbol: its index in its table, value (an address, or a TLS offset) and whether it is `STT_TLS`.
    public struct DefinedSymbol: Sendable, Hashable {
        public var index: UInt64
        public var value: UInt64
        public var size: UInt64
        public var isThreadLocal: Bool
    }

    /// Which symbol table to search.
    public enum SymbolTable: Sendable, Hashable {
        /// `.dynsym`: what the file exports, kept by `strip`.
        case dynamic
        /// `.symtab`: every symbol, hidden ones too (a static program's), gone from a stripped file.
        case full
    }

    /// A question ``definedSymbol(named:in:)`` answered.
    struct SymbolLookup: Hashable {
        var name: String
        var table: SymbolTable
    }

    /// The defined symbol `name` of `table` (a versioned name matches without its version), searched once per image.
    public func definedSymbol(named name: String, in table: SymbolTable) -> DefinedSymbol? {
        let lookup = SymbolLookup(name: name, table: table)
        if let known = symbolLookups.withLock({ $0[lookup] }) { return known }
        let symbol = searchSymbol(named: name, in: table)
        symbolLookups.withLock { $0[lookup] = symbol }
        return symbol
    }

    private func searchSymbol(named name: String, in table: SymbolTable) -> DefinedSymbol? {
        let reader = ELFReader(bytes)
        guard let header = reader.header else { return nil }
        let sections = reader.sectionHeaders(header)
        let type = UInt32(table == .dynamic ? SHT_DYNSYM : SHT_SYMTAB)
        guard let table = sections.first(where: { $0.sh_type == type }), Int(table.sh_link) < sections.count,
              let start = Int(exactly: table.sh_offset), start <= bytes.count
        else { return nil }
        let strings = sections[Int(table.sh_link)]
        let entrySize = max(Int(clamping: table.sh_entsize), MemoryLayout<Elf64_Sym>.size)
        let count = Int(min(table.sh_size, UInt64(bytes.count - start))) / entrySize
        // Compared in place, NUL included, without making a String of every name (every module is searched
        // whenever a process maps code).
        let wanted = Array(name.utf8) + [0]
        for index in 0..<count {
            guard let symbol = reader.data.load(Elf64_Sym.self, at: start + index * entrySize) else { break }
            let (nameOffset, overflow) = strings.sh_offset.addingReportingOverflow(UInt64(symbol.st_name))
            guard symbol.st_shndx != UInt16(SHN_UNDEF), UInt64(symbol.st_name) < strings.sh_size, !overflow,
                  nameOffset <= UInt64(bytes.count), UInt64(bytes.count) - nameOffset >= UInt64(wanted.count),
                  wanted.withUnsafeBytes({ memcmp(bytes.baseAddress! + Int(nameOffset), $0.baseAddress!, wanted.count) }) == 0
            else { continue }
            return DefinedSymbol(index: UInt64(index), value: symbol.st_value, size: symbol.st_size,
                                 isThreadLocal: Int32(symbol.st_info & 0xf) == STT_TLS)
        }
        return nil
    }

    /// The `T` stored in the file at virtual address `address` (read-only data such as libthread_db's descriptors).
    public func load<T>(_ type: T.Type, atVirtualAddress address: UInt64) -> T? {
        fileOffset(ofVirtualAddress: address).flatMap { ByteReader(bytes).load(type, at: $0) }
    }

    /// The relocations that locate `symbol`, in `.rela.dyn` and `.rela.plt` (where linkers put TLSDESC ones, for
    /// lazy binding): against it by index, or, where the linker bound the variable inside its module
    /// (`-Bsymbolic`, protected visibility), against no symbol with its offset as addend.
    public func threadLocalRelocations(of symbol: ThreadLocalSymbol) -> [ThreadLocalRelocation] {
        let reader = ELFReader(bytes)
        let sections = [".rela.dyn", ".rela.plt"].compactMap { reader.x86_64Relocations(named: $0)?.relocations }
        return sections.flatMap { reader.relocations(in: $0) }.compactMap { relocation in
            let index = relocation.r_info >> 32
            guard index == symbol.index || (index == 0 && relocation.r_addend == Int64(bitPattern: symbol.offset)) else { return nil }
            switch UInt32(truncatingIfNeeded: relocation.r_info) {
            case 36: return ThreadLocalRelocation(kind: .descriptor, slot: relocation.r_offset)  // R_X86_64_TLSDESC
            case 18: return ThreadLocalRelocation(kind: .threadPointerOffset, slot: relocation.r_offset)  // R_X86_64_TPOFF64
            case 16: return ThreadLocalRelocation(kind: .moduleAndOffset, slot: relocation.r_offset)  // R_X86_64_DTPMOD64
            default: return nil
            }
        }
    }
}
