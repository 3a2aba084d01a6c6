import Binaries
import Glibc
import ProfilerTestSupport
import Testing

@Suite struct ModuleMapTests {
    /// This process's own libc: where `dlsym` says `qsort` is must be where the symbol table and load bias put it.
    @Test func translatesRuntimeAddressesToFileAddresses() throws {
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
        let qsortAddress = UInt64(UInt(bitPattern: try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "qsort"))))
        let libc = try #require(modules.module(containing: qsortAddress))
        #expect(libc.name.hasPrefix("libc.so"))
        let image = try #require(libc.image)
        let symbols = image.functionSymbols().filter { $0.address == libc.virtualAddress(of: qsortAddress) }
        #expect(!symbols.isEmpty)
        #expect(modules.modules.contains { $0.path == VDSO.name })
    }

    @Test func findsNothingOutsideModules() {
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
        #expect(modules.module(containing: 0x10) == nil)
        #expect(modules.module(containing: UInt64.max - 1) == nil)
    }
}

/// A file mapped a second time at another address, with no other file between (as node maps its text again),
/// is a module of its own whose addresses translate from its own file offset.
@Suite struct SecondMappingTests {
    @Test func aSecondExecutableMappingOfAFileIsItsOwnModule() throws {
        let binary = try Fixture.names()
        let image = try #require(ELFImage(path: binary))
        let spin = try #require(image.functionSymbols().first { $0.name == "remapped_spin" })
        var status = stat()
        try #require(stat(binary, &status) == 0)
        let page: UInt64 = 0x1000
        let base: UInt64 = 0x5555_5555_0000
        var mappings = image.loadSegments.map { segment -> MemoryMapping in
            let start: UInt64 = (base + segment.virtualAddress) & ~(page - 1)
            let end: UInt64 = (base + segment.virtualAddress + segment.memorySize + page - 1) & ~(page - 1)
            return MemoryMapping(start: start, end: end, isReadable: true, isWritable: false, isExecutable: segment.isExecutable,
                                 offset: segment.fileOffset & ~(page - 1), inode: UInt64(status.st_ino), path: binary)
        }
        let second = base + 0x4000_0000
        mappings.append(MemoryMapping(start: second, end: second + 0x10_0000, isReadable: true, isWritable: false,
                                      isExecutable: true, offset: 0, inode: UInt64(status.st_ino), path: binary))
        let modules = ModuleMap(mappings: mappings, images: ELFImageCache())
        let fileOffset = try #require(image.fileOffset(ofVirtualAddress: spin.address))
        let copy = try #require(modules.module(containing: second + UInt64(fileOffset)))
        #expect(copy.start == second)
        #expect(copy.fileVirtualAddress(of: second + UInt64(fileOffset)) == spin.address)
        let original = try #require(modules.module(containing: base + spin.address))
        #expect(original.end <= second)
        #expect(original.fileVirtualAddress(of: base + spin.address) == spin.address)
    }
}
