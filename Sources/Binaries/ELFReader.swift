import Glibc

/// Bounds-checked reads of ELF structures out of a byte buffer. Every read that would run past the end
/// yields nothing, so a truncated or hostile file cannot crash the profiler.
struct ELFReader {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func load<T>(_ type: T.Type, at offset: Int) -> T? {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return nil }
        return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    /// The file header, if this is a 64-bit little-endian ELF file.
    var header: Elf64_Ehdr? {
        guard bytes.count >= MemoryLayout<Elf64_Ehdr>.size,
              bytes[0] == 0x7f, bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "L"), bytes[3] == UInt8(ascii: "F"),
              bytes[Int(EI_CLASS)] == UInt8(ELFCLASS64), bytes[Int(EI_DATA)] == UInt8(ELFDATA2LSB)
        else { return nil }
        return load(Elf64_Ehdr.self, at: 0)
    }

    func programHeaders(_ header: Elf64_Ehdr) -> [Elf64_Phdr] {
        table(Elf64_Phdr.self, at: Int(header.e_phoff), count: Int(header.e_phnum), entrySize: Int(header.e_phentsize))
    }

    func sectionHeaders(_ header: Elf64_Ehdr) -> [Elf64_Shdr] {
        table(Elf64_Shdr.self, at: Int(header.e_shoff), count: Int(header.e_shnum), entrySize: Int(header.e_shentsize))
    }

    private func table<T>(_ type: T.Type, at offset: Int, count: Int, entrySize: Int) -> [T] {
        guard entrySize >= MemoryLayout<T>.size else { return [] }
        return (0..<count).compactMap { load(T.self, at: offset + $0 * entrySize) }
    }

    /// The NUL-terminated string at `offset`, if it ends inside the buffer.
    func string(at offset: Int) -> String? {
        guard offset >= 0, offset < bytes.count else { return nil }
        let tail = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        guard let end = tail.firstIndex(of: 0) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: tail[..<end]), as: UTF8.self)
    }

    /// The descriptor of the `GNU` / `NT_GNU_BUILD_ID` note in a note segment, as hex.
    func gnuBuildID(inNoteAt start: Int, size: Int) -> String? {
        var offset = start
        let end = min(start + size, bytes.count)
        while offset + 12 <= end, let nameSize = load(UInt32.self, at: offset),
              let descriptorSize = load(UInt32.self, at: offset + 4), let type = load(UInt32.self, at: offset + 8) {
            let nameStart = offset + 12
            let descriptorStart = nameStart + Self.aligned4(Int(nameSize))
            let next = descriptorStart + Self.aligned4(Int(descriptorSize))
            guard descriptorStart + Int(descriptorSize) <= end else { return nil }
            if type == UInt32(NT_GNU_BUILD_ID), nameSize == 4, string(at: nameStart) == "GNU" {
                return bytes[descriptorStart..<(descriptorStart + Int(descriptorSize))]
                    .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            }
            offset = next
        }
        return nil
    }

    func functionSymbols(table: Elf64_Shdr, strings: Elf64_Shdr) -> [ELFSymbol] {
        let entrySize = max(Int(table.sh_entsize), MemoryLayout<Elf64_Sym>.size)
        let count = Int(table.sh_size) / entrySize
        var symbols: [ELFSymbol] = []
        symbols.reserveCapacity(count)
        for index in 0..<count {
            guard let symbol = load(Elf64_Sym.self, at: Int(table.sh_offset) + index * entrySize) else { break }
            let kind = Int32(symbol.st_info & 0xf)
            guard kind == STT_FUNC || kind == STT_GNU_IFUNC, symbol.st_shndx != UInt16(SHN_UNDEF), symbol.st_value != 0,
                  symbol.st_name < strings.sh_size, let name = string(at: Int(strings.sh_offset) + Int(symbol.st_name)),
                  !name.isEmpty
            else { continue }
            symbols.append(ELFSymbol(address: symbol.st_value, size: symbol.st_size, name: name))
        }
        return symbols
    }

    private static func aligned4(_ value: Int) -> Int { (value + 3) & ~3 }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
