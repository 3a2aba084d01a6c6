import Glibc

extension ELFImage {
    /// Symbols for the entries of the procedure linkage table, named `foo@plt` after the function each one
    /// jumps to, as perf names them (`dso__synthesize_plt_symbols` in linux `tools/perf/util/symbol-elf.c`).
    ///
    /// No symbol table lists PLT entries, so without these a call through the PLT is named after whatever
    /// symbol lies below `.plt` (`_init`). On x86-64 each entry is 16 bytes; entry `i` jumps through the GOT
    /// slot that the `i`-th `.rela.plt` relocation (in GOT order) fills with its `.dynsym` symbol's address.
    /// With IBT (`-fcf-protection`) the calls go to `.plt.sec`, whose entries have no header before them;
    /// a lazy `.plt` starts with a 16-byte header (named `.plt`) unless it has exactly one entry per relocation.
    /// `.plt.got` entries jump through a GOT slot that a `.rela.dyn` relocation fills.
    public func procedureLinkageTableSymbols() -> [ELFSymbol] {
        lazyBindingSymbols() + globalOffsetTableEntrySymbols()
    }

    private func lazyBindingSymbols() -> [ELFSymbol] {
        let entrySize: UInt64 = 16
        let reader = ELFReader(bytes)
        guard let plt = reader.section(named: ".plt"),
              let (relocations, symbols, names) = reader.x86_64Relocations(named: ".rela.plt")
        else { return [] }
        let slots = reader.relocations(in: relocations).sorted { $0.r_offset < $1.r_offset }

        var result: [ELFSymbol] = []
        let entries: Elf64_Shdr
        var first: UInt64 = 0
        if let secondary = reader.section(named: ".plt.sec") {
            entries = secondary
            result.append(ELFSymbol(address: plt.sh_addr, size: plt.sh_size, name: ".plt"))
        } else {
            entries = plt
            if UInt64(slots.count) * entrySize != plt.sh_size {
                first = 1
                result.append(ELFSymbol(address: plt.sh_addr, size: entrySize, name: ".plt"))
            }
        }
        let capacity = entries.sh_size / entrySize
        for (index, slot) in slots.enumerated() where first + UInt64(index) < capacity {
            let (address, overflow) = entries.sh_addr.addingReportingOverflow((first + UInt64(index)) * entrySize)
            guard !overflow, let name = reader.symbolName(index: slot.r_info >> 32, table: symbols, strings: names),
                  !name.isEmpty
            else { continue }
            result.append(ELFSymbol(address: address, size: entrySize, name: name + "@plt"))
        }
        return result
    }

    /// `.plt.got`: each entry is `jmp *DISP(%rip)` (after an `endbr64` and a `bnd` prefix, if any), DISP
    /// counted from the end of the instruction, to the GOT slot of the function it calls.
    private func globalOffsetTableEntrySymbols() -> [ELFSymbol] {
        let reader = ELFReader(bytes)
        guard let entries = reader.section(named: ".plt.got"), entries.sh_entsize > 0,
              let (relocations, symbols, names) = reader.x86_64Relocations(named: ".rela.dyn")
        else { return [] }
        let slots = Dictionary(reader.relocations(in: relocations).map { ($0.r_offset, $0.r_info >> 32) }) { first, _ in first }
        // Entries lie in the file (the section is code): at most as many as its bytes hold, whatever the header says.
        let size = min(entries.sh_size, UInt64(bytes.count) - min(entries.sh_offset, UInt64(bytes.count)))
        var result: [ELFSymbol] = []
        for offset in stride(from: 0, to: size, by: Int(clamping: entries.sh_entsize)) {
            let (address, overflow) = entries.sh_addr.addingReportingOverflow(offset)
            let (fileOffset, beyond) = entries.sh_offset.addingReportingOverflow(offset)
            guard !overflow, !beyond, let slot = reader.jumpSlot(at: fileOffset, address: address),
                  let index = slots[slot], index != 0,
                  let name = reader.symbolName(index: index, table: symbols, strings: names), !name.isEmpty
            else { continue }
            result.append(ELFSymbol(address: address, size: entries.sh_entsize, name: name + "@plt"))
        }
        return result
    }
}

extension ELFReader {
    /// An x86-64 file's `SHT_RELA` section `name`, the symbol table it refers to and that table's names.
    func x86_64Relocations(named name: String) -> (relocations: Elf64_Shdr, symbols: Elf64_Shdr, names: Elf64_Shdr)? {
        guard let header, header.e_machine == UInt16(EM_X86_64),
              let relocations = section(named: name), relocations.sh_type == UInt32(SHT_RELA)
        else { return nil }
        let sections = sectionHeaders(header)
        guard Int(relocations.sh_link) < sections.count else { return nil }
        let symbols = sections[Int(relocations.sh_link)]
        guard Int(symbols.sh_link) < sections.count else { return nil }
        return (relocations, symbols, sections[Int(symbols.sh_link)])
    }

    /// The address an x86-64 `jmp *DISP(%rip)` at file offset `offset` (loaded at `address`) jumps through.
    func jumpSlot(at offset: UInt64, address: UInt64) -> UInt64? {
        guard var index = Int(exactly: offset), index < data.bytes.count else { return nil }
        if data.load(UInt32.self, at: index) == 0xfa1e_0ff3 { index += 4 }  // endbr64: f3 0f 1e fa
        if data.load(UInt8.self, at: index) == 0xf2 { index += 1 }  // bnd
        guard data.load(UInt16.self, at: index) == 0x25ff, let displacement = data.load(Int32.self, at: index + 2) else {
            return nil
        }
        return (address &+ UInt64(index + 6 - Int(offset))) &+ UInt64(bitPattern: Int64(displacement))
    }

    /// The entries of a `SHT_RELA` section, bounded by the file's size whatever its header claims.
    func relocations(in section: Elf64_Shdr) -> [Elf64_Rela] {
        guard let start = Int(exactly: section.sh_offset), start <= data.bytes.count else { return [] }
        let entrySize = max(Int(clamping: section.sh_entsize), MemoryLayout<Elf64_Rela>.size)
        let count = Int(min(section.sh_size, UInt64(data.bytes.count - start))) / entrySize
        return (0..<count).compactMap { data.load(Elf64_Rela.self, at: start + $0 * entrySize) }
    }

    /// The name of symbol `index` of a symbol table, if the entry and its name lie inside the file.
    func symbolName(index: UInt64, table: Elf64_Shdr, strings: Elf64_Shdr) -> String? {
        let entrySize = max(table.sh_entsize, UInt64(MemoryLayout<Elf64_Sym>.size))
        let (offsetInTable, overflow) = index.multipliedReportingOverflow(by: entrySize)
        guard !overflow, offsetInTable < table.sh_size else { return nil }
        let (offset, beyond) = table.sh_offset.addingReportingOverflow(offsetInTable)
        guard !beyond, let symbol = data.load(Elf64_Sym.self, at: offset), UInt64(symbol.st_name) < strings.sh_size
        else { return nil }
        return data.string(at: strings.sh_offset, plus: UInt64(symbol.st_name))
    }
}
