import Binaries
import Glibc
import ProfilerTestSupport
import Testing

@Suite struct ELFImageTests {
    @Test func readsSegmentsUnwindTableBuildIDAndSymbolsOfAnExecutable() throws {
        let image = try #require(ELFImage(path: try Fixture.workload()))
        #expect(image.loadSegments.contains { $0.isExecutable })
        let header = try #require(image.ehFrameHeader)
        #expect(image.fileOffset(ofVirtualAddress: header.lowerBound) != nil)
        let buildID = try #require(image.buildID)
        #expect(buildID.count >= 16 && buildID.allSatisfy(\.isHexDigit))
        let names = Set(image.functionSymbols().map(\.name))
        #expect(names.isSuperset(of: ["hot_three_quarters", "hot_one_quarter", "main"]))
    }

    /// `gcc -static` writes no `.eh_frame_hdr` (no `PT_GNU_EH_FRAME`): `.eh_frame` is found by its section header.
    @Test func findsSectionsByName() throws {
        let image = try #require(ELFImage(path: try Fixture.staticWorkload(ehFrameHeader: false)))
        #expect(image.ehFrameHeader == nil)
        let frames = try #require(image.section(named: ".eh_frame"))
        #expect(frames.size > 0 && frames.fileOffset + frames.size <= image.bytes.count)
        #expect(image.fileOffset(ofVirtualAddress: frames.virtualAddress) == frames.fileOffset)
        #expect(image.section(named: ".eh_frame_hdr") == nil)
        #expect(image.section(named: ".bss") == nil, "no contents in the file")
        #expect(image.section(named: ".nonexistent") == nil)
    }

    @Test func rejectsWhatIsNotELF() throws {
        #expect(ELFImage(path: "/proc/self/status") == nil)
        #expect(ELFImage(path: "/nonexistent") == nil)
    }

    @Test func copiesTheVDSOWithItsUnwindTable() throws {
        let vdso = try #require(VDSO.image)
        #expect(vdso.ehFrameHeader != nil)
        #expect(vdso.functionSymbols().contains { $0.name.contains("clock_gettime") })
        // The copy is the whole image: as long as the mapping, but for the page the mapping is rounded up to.
        let mapping = try #require(ProcessMaps.read(pid: getpid()).first { $0.path == VDSO.name })
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        #expect(vdso.bytes.count <= mapping.end - mapping.start && vdso.bytes.count > mapping.end - mapping.start - page)
    }

    /// Offsets, sizes and counts in a file are whatever its writer (or a truncation, or an attacker) put
    /// there: an image of a hostile file has less in it, and reading it never traps.
    @Test func aFileWhoseTablesLieOutsideItHasNoSegmentsOrSymbols() throws {
        var elf = HandMadeELF()
        elf.programHeaders = [HandMadeELF.segment(PT_LOAD, fileSize: 8)]
        elf.sectionHeaders = [HandMadeELF.section(SHT_SYMTAB)]
        elf.programHeaderOffset = UInt64.max - 8
        elf.sectionHeaderOffset = 1 << 63
        let image = try #require(elf.image())
        #expect(image.loadSegments.isEmpty)
        #expect(image.functionSymbols().isEmpty)
        #expect(image.debugLink == nil)
    }

    @Test func segmentsThatRunPastTheAddressSpaceOrTheFileAreNotFollowed() throws {
        var elf = HandMadeELF()
        elf.programHeaders = [
            HandMadeELF.segment(PT_LOAD, virtualAddress: UInt64.max - 0xfff, memorySize: 0x2000, fileOffset: UInt64.max - 0xf,
                                fileSize: 0x2000, flags: PF_R | PF_X),
            HandMadeELF.segment(PT_GNU_EH_FRAME, virtualAddress: UInt64.max - 0xf, memorySize: 0x20),
            HandMadeELF.segment(PT_NOTE, fileOffset: UInt64.max, fileSize: UInt64.max),
        ]
        let image = try #require(elf.image())
        #expect(image.ehFrameHeader == nil)
        #expect(image.buildID == nil)
        #expect(image.fileOffset(ofVirtualAddress: UInt64.max - 0x10) == nil)
        #expect(image.fileOffset(ofVirtualAddress: UInt64.max) == nil)
    }

    @Test func aSymbolTableLargerThanTheFileIsReadToTheFilesEnd() throws {
        var elf = HandMadeELF()
        elf.sectionHeaders = [HandMadeELF.section(SHT_NULL), HandMadeELF.section(SHT_STRTAB), HandMadeELF.section(SHT_SYMTAB)]
        let symbolOffset = UInt64(elf.payloadOffset)
        var symbol = Elf64_Sym()
        symbol.st_name = 1
        symbol.st_info = UInt8(STT_FUNC)
        symbol.st_shndx = 1
        symbol.st_value = 0x1000
        symbol.st_size = 0x10
        elf.payload = withUnsafeBytes(of: symbol) { Array($0) } + [0] + Array("hot".utf8) + [0]
        let stringOffset = symbolOffset + UInt64(MemoryLayout<Elf64_Sym>.size)
        elf.sectionHeaders[1] = HandMadeELF.section(SHT_STRTAB, offset: stringOffset, size: UInt64.max)
        elf.sectionHeaders[2] = HandMadeELF.section(SHT_SYMTAB, offset: symbolOffset, size: UInt64.max - 1, link: 1,
                                                    entrySize: UInt64(MemoryLayout<Elf64_Sym>.size))
        let image = try #require(elf.image())
        #expect(image.functionSymbols() == [ELFSymbol(address: 0x1000, size: 0x10, name: "hot")])
    }
}

/// PLT entries are named `foo@plt` at the addresses where objdump (binutils, not the code under test) puts them.
@Suite struct ProcedureLinkageTableTests {
    private func objdumpPLTLabels(_ binary: String) throws -> [UInt64: String] {
        let result = try ExternalTool.run("/usr/bin/objdump", ["-d", binary])
        try #require(result.status == 0, "\(result.standardError)")
        var labels: [UInt64: String] = [:]
        for line in result.standardOutput.split(separator: "\n") where line.hasSuffix("@plt>:") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let address = UInt64(parts[0], radix: 16) else { continue }
            labels[address] = String(parts[1].dropFirst().dropLast(2))
        }
        return labels
    }

    @Test func namesEveryEntryOfEachLayoutAsObjdumpDoes() throws {
        for binary in try Fixture.namesWithEachPLTLayout() {
            let expected = try objdumpPLTLabels(binary)
            try #require(expected.count > 5, "objdump found no PLT in \(binary)")
            let image = try #require(ELFImage(path: binary))
            let named = Dictionary(image.procedureLinkageTableSymbols().filter { $0.name != ".plt" }.map { ($0.address, $0.name) }) { a, _ in a }
            #expect(named == expected, "\(binary)")
        }
    }

    /// A hostile `.plt.got` (its size far past the file, entries pointing anywhere) yields fewer names, never a trap.
    @Test func aPLTWhoseSectionsLieOutsideTheFileHasNoEntries() throws {
        var elf = HandMadeELF()
        let names = Array(".shstrtab\0.plt\0.rela.plt\0.plt.got\0.rela.dyn\0".utf8)
        elf.sectionHeaders = [
            HandMadeELF.section(SHT_NULL),
            HandMadeELF.section(SHT_STRTAB, name: 0, size: UInt64(names.count)),
            HandMadeELF.section(SHT_PROGBITS, name: 10, offset: UInt64.max - 4, size: UInt64.max),
            HandMadeELF.section(SHT_RELA, name: 15, offset: 1 << 62, size: UInt64.max, link: 1, entrySize: 24),
            HandMadeELF.section(SHT_PROGBITS, name: 25, offset: UInt64(Int.max) - 2, size: UInt64.max, entrySize: 1),
            HandMadeELF.section(SHT_RELA, name: 34, offset: 0, size: UInt64.max, link: 1, entrySize: 24),
        ]
        elf.sectionNameIndex = 1
        elf.sectionHeaders[1].sh_offset = UInt64(elf.payloadOffset)
        elf.payload = names
        let image = try #require(elf.image())
        #expect(image.procedureLinkageTableSymbols().allSatisfy { $0.name == ".plt" })
    }
}
