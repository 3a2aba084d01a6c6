import Binaries
import Testing

@Suite struct MappingTableTests {
    private func mapping(_ start: UInt64, _ end: UInt64, _ permissions: String, offset: UInt64 = 0,
                         path: String = "/usr/lib/libx.so", inode: UInt64 = 7) -> MemoryMapping {
        MemoryMapping(start: start, end: end, isReadable: permissions.contains("r"), isWritable: permissions.contains("w"),
                      isExecutable: permissions.contains("x"), offset: offset, inode: inode, path: path)
    }

    /// What `ld.so` does to load a library: reserve its whole range, then map each segment over it.
    @Test func laterMappingsReplaceWhatTheyOverlap() {
        var table = MappingTable()
        table.insert(mapping(0x10000, 0x19000, "r--"))
        table.insert(mapping(0x11000, 0x14000, "r-x", offset: 0x1000))
        table.insert(mapping(0x17000, 0x18000, "rw-", offset: 0x7000))
        #expect(table.mappings == [
            mapping(0x10000, 0x11000, "r--"),
            mapping(0x11000, 0x14000, "r-x", offset: 0x1000),
            mapping(0x14000, 0x17000, "r--", offset: 0x4000),
            mapping(0x17000, 0x18000, "rw-", offset: 0x7000),
            mapping(0x18000, 0x19000, "r--", offset: 0x8000),
        ])
        let modules = ModuleMap(mappings: table.mappings, images: ELFImageCache())
        #expect(modules.modules.map { [$0.start, $0.end, $0.fileOffset] } == [[0x10000, 0x19000, 0]])
    }

    @Test func onlyChangesToCodeMoveTheModuleGeneration() {
        var table = MappingTable()
        table.insert(mapping(0x10000, 0x14000, "r-x"))
        let loaded = table.moduleGeneration
        table.insert(mapping(0x20000, 0x30000, "rw-", offset: 0x20000, path: "//anon", inode: 0))
        #expect(table.moduleGeneration == loaded, "the heap growing moves no code")
        table.insert(mapping(0x12000, 0x13000, "rw-", offset: 0x12000, path: "//anon", inode: 0))
        #expect(table.moduleGeneration > loaded, "code was mapped over")
    }

    /// perf reports each mapping's file offset as the process made it; splitting one must not trap on it.
    @Test func splitsAMappingWhateverItsFileOffset() {
        var table = MappingTable()
        table.insert(mapping(0x10000, 0x20000, "r--", offset: UInt64.max - 0x1000))
        table.insert(mapping(0x12000, 0x13000, "r-x"))
        #expect(table.mappings.map(\.start) == [0x10000, 0x12000, 0x13000])
    }

    /// A long run maps anonymous memory without end (each large `malloc`): the table keeps only what modules
    /// are made of, however much of it comes, while anonymous memory still cuts what it overlaps.
    @Test func keepsOnlyFileAndVDSOMappings() {
        var table = MappingTable()
        table.insert(mapping(0x10000, 0x14000, "r-x"))
        table.insert(mapping(0x7000_0000, 0x7000_2000, "r-x", path: "[vdso]", inode: 0))
        for block in 0..<10_000 {
            let start = 0x1_0000_0000 + UInt64(block) * 0x10000
            table.insert(mapping(start, start + 0x8000, "rw-", offset: 0, path: "", inode: 0))
        }
        table.insert(mapping(0x13000, 0x20000, "rw-", path: "", inode: 0))
        #expect(table.mappings == [mapping(0x10000, 0x13000, "r-x"), mapping(0x7000_0000, 0x7000_2000, "r-x", path: "[vdso]", inode: 0)])
    }
}
