import Binaries
import Testing

@Suite struct MemoryMappingTests {
    @Test func parsesFileBackedAnonymousAndKernelMappings() {
        let text = """
            55d4c8a00000-55d4c8a02000 r--p 00000000 fd:01 1234567                    /usr/bin/my program
            55d4c8a02000-55d4c8a05000 r-xp 00002000 fd:01 1234567                    /usr/bin/my program
            7ffd1e5f0000-7ffd1e611000 rw-p 00000000 00:00 0                          [stack]
            7f0000000000-7f0000001000 rw-p 00000000 00:00 0
            7ffd1e7f4000-7ffd1e7f6000 r-xp 00000000 00:00 0                          [vdso]
            """
        let mappings = ProcessMaps.parse(text)
        #expect(mappings.count == 5)
        #expect(mappings[1] == MemoryMapping(start: 0x55d4c8a02000, end: 0x55d4c8a05000, isReadable: true, isWritable: false,
                                             isExecutable: true, offset: 0x2000, inode: 1234567, path: "/usr/bin/my program"))
        #expect(mappings[1].isFileBacked)
        #expect(mappings[2].path == "[stack]" && !mappings[2].isFileBacked)
        #expect(mappings[3].path.isEmpty)
        #expect(mappings[4].isExecutable && mappings[4].path == "[vdso]")
    }

    @Test func skipsMalformedLines() {
        #expect(ProcessMaps.parse("garbage\n1-2 r\n").isEmpty)
    }
}
