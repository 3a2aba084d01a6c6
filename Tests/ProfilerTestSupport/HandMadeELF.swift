import Binaries
import Glibc

/// A 64-bit little-endian ELF image built byte by byte, with whatever header values a test wants, however
/// wrong: program headers, then section headers, then `payload`, after the file header.
public struct HandMadeELF {
    public var programHeaders: [Elf64_Phdr] = []
    public var sectionHeaders: [Elf64_Shdr] = []
    /// Where the file header says the tables are; by default where they are.
    public var programHeaderOffset: UInt64?
    public var sectionHeaderOffset: UInt64?
    public var sectionNameIndex: UInt16 = 0
    public var payload: [UInt8] = []

    public init() {}

    /// The file offset of `payload`'s first byte.
    public var payloadOffset: Int {
        MemoryLayout<Elf64_Ehdr>.size + programHeaders.count * MemoryLayout<Elf64_Phdr>.size
            + sectionHeaders.count * MemoryLayout<Elf64_Shdr>.size
    }

    public var bytes: [UInt8] {
        var header = Elf64_Ehdr()
        withUnsafeMutableBytes(of: &header.e_ident) { identity in
            identity.copyBytes(from: [0x7f, UInt8(ascii: "E"), UInt8(ascii: "L"), UInt8(ascii: "F"), UInt8(ELFCLASS64),
                                      UInt8(ELFDATA2LSB), UInt8(EV_CURRENT)])
        }
        header.e_type = UInt16(ET_DYN)
        header.e_machine = UInt16(EM_X86_64)
        header.e_ehsize = UInt16(MemoryLayout<Elf64_Ehdr>.size)
        header.e_phoff = programHeaderOffset ?? UInt64(MemoryLayout<Elf64_Ehdr>.size)
        header.e_phentsize = UInt16(MemoryLayout<Elf64_Phdr>.size)
        header.e_phnum = UInt16(programHeaders.count)
        header.e_shoff = sectionHeaderOffset
            ?? UInt64(MemoryLayout<Elf64_Ehdr>.size + programHeaders.count * MemoryLayout<Elf64_Phdr>.size)
        header.e_shentsize = UInt16(MemoryLayout<Elf64_Shdr>.size)
        header.e_shnum = UInt16(sectionHeaders.count)
        header.e_shstrndx = sectionNameIndex
        var bytes = withUnsafeBytes(of: header) { Array($0) }
        for entry in programHeaders { bytes += withUnsafeBytes(of: entry) { Array($0) } }
        for entry in sectionHeaders { bytes += withUnsafeBytes(of: entry) { Array($0) } }
        return bytes + payload
    }

    public func image() -> ELFImage? {
        bytes.withUnsafeBytes { ELFImage(name: "hand-made", copying: $0) }
    }

    public static func segment(_ type: Int32, virtualAddress: UInt64 = 0, memorySize: UInt64 = 0, fileOffset: UInt64 = 0,
                               fileSize: UInt64 = 0, flags: Int32 = PF_R) -> Elf64_Phdr {
        Elf64_Phdr(p_type: UInt32(type), p_flags: UInt32(flags), p_offset: fileOffset, p_vaddr: virtualAddress,
                   p_paddr: virtualAddress, p_filesz: fileSize, p_memsz: memorySize, p_align: 0x1000)
    }

    public static func section(_ type: Int32, name: UInt32 = 0, offset: UInt64 = 0, size: UInt64 = 0, link: UInt32 = 0,
                               entrySize: UInt64 = 0) -> Elf64_Shdr {
        Elf64_Shdr(sh_name: name, sh_type: UInt32(type), sh_flags: 0, sh_addr: 0, sh_offset: offset, sh_size: size,
                   sh_link: link, sh_info: 0, sh_addralign: 8, sh_entsize: entrySize)
    }
}
