import Glibc

/// Reads ELF structures out of a byte buffer. Every offset, size and count comes from the file itself, so
/// each is checked (``ByteReader``) rather than converted or added blindly: a truncated or hostile file
/// yields less, never a crash.
struct ELFReader {
    let data: ByteReader

    init(_ bytes: UnsafeRawBufferPointer) { data = ByteReader(bytes) }

    /// The file header, if this is a 64-bit little-endian ELF file.
    var header: Elf64_Ehdr? {
        let bytes = data.bytes
        guard bytes.count >= MemoryLayout<Elf64_Ehdr>.size,
              bytes[0] == 0x7f, bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "L"), bytes[3] == UInt8(ascii: "F"),
              bytes[Int(EI_CLASS)] == UInt8(ELFCLASS64), bytes[Int(EI_DATA)] == UInt8(ELFDATA2LSB)
        else { return nil }
        return data.load(Elf64_Ehdr.self, at: 0)
    }

    func programHeaders(_ header: Elf64_Ehdr) -> [Elf64_Phdr] {
        table(Elf64_Phdr.self, at: header.e_phoff, count: Int(header.e_phnum), entrySize: Int(header.e_phentsize))
    }

    func sectionHeaders(_ header: Elf64_Ehdr) -> [Elf64_Shdr] {
        table(Elf64_Shdr.self, at: header.e_shoff, count: Int(header.e_shnum), entrySize: Int(header.e_shentsize))
    }

    /// `count` and `entrySize` are 16-bit fields, so only the start needs bounding for the sums to stay small.
    private func table<T>(_ type: T.Type, at offset: UInt64, count: Int, entrySize: Int) -> [T] {
        guard entrySize >= MemoryLayout<T>.size, let start = Int(exactly: offset), start <= data.bytes.count else { return [] }
        return (0..<count).compactMap { data.load(T.self, at: start + $0 * entrySize) }
    }

    /// The descriptor of the `GNU` / `NT_GNU_BUILD_ID` note in a note segment, as hex.
    func gnuBuildID(inNoteAt noteOffset: UInt64, size noteSize: UInt64) -> String? {
        let bytes = data.bytes
        guard let start = Int(exactly: noteOffset), start <= bytes.count else { return nil }
        var offset = start
        let end = start + Int(min(noteSize, UInt64(bytes.count - start)))
        while offset + 12 <= end, let nameSize = data.load(UInt32.self, at: offset),
              let descriptorSize = data.load(UInt32.self, at: offset + 4), let type = data.load(UInt32.self, at: offset + 8) {
            let nameStart = offset + 12
            let descriptorStart = nameStart + Self.aligned4(Int(nameSize))
            let next = descriptorStart + Self.aligned4(Int(descriptorSize))
            guard descriptorStart + Int(descriptorSize) <= end else { return nil }
            if type == UInt32(NT_GNU_BUILD_ID), nameSize == 4, data.string(at: nameStart) == "GNU" {
                return bytes[descriptorStart..<(descriptorStart + Int(descriptorSize))]
                    .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            }
            offset = next
        }
        return nil
    }

    /// The table's entries are bounded by the file's size, whatever its header claims.
    func functionSymbols(table: Elf64_Shdr, strings: Elf64_Shdr) -> [ELFSymbol] {
        let bytes = data.bytes
        guard let start = Int(exactly: table.sh_offset), start <= bytes.count else { return [] }
        let entrySize = max(Int(clamping: table.sh_entsize), MemoryLayout<Elf64_Sym>.size)
        let count = Int(min(table.sh_size, UInt64(bytes.count - start))) / entrySize
        var symbols: [ELFSymbol] = []
        symbols.reserveCapacity(count)
        for index in 0..<count {
            guard let symbol = data.load(Elf64_Sym.self, at: start + index * entrySize) else { break }
            let kind = Int32(symbol.st_info & 0xf)
            guard kind == STT_FUNC || kind == STT_GNU_IFUNC, symbol.st_shndx != UInt16(SHN_UNDEF), symbol.st_value != 0,
                  symbol.st_name < strings.sh_size, let name = data.string(at: strings.sh_offset, plus: UInt64(symbol.st_name)),
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
