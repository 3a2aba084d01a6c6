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
        let malformed = [
            "10000-20000 r-xp 00000000 fd:01",                        // no inode
            "10000 r-xp 00000000 fd:01 5 /bin/x",                     // no end
            "1x000-20000 r-xp 00000000 fd:01 5 /bin/x",               // not hexadecimal
            "10000-20000 r-xp 00000000 fd:01 5a /bin/x",              // inode not decimal
            "10000-120000000000000000 r-xp 00000000 fd:01 5 /bin/x",  // more than 64 bits
            "10000-20000 r-xp 00000000 fd:01 18446744073709551616 /bin/x",  // 2^64, the last digit's carry
            "10000-20000 r- 00000000 fd:01 5 /bin/x",                 // permissions cut short
            "-20000 r-xp 00000000 fd:01 5 /bin/x",
            "",
        ]
        for line in malformed { #expect(ProcessMaps.parse(line).isEmpty, "\(line)") }
    }

    /// A path is the rest of the line, spaces and the kernel's ` (deleted)` included; fields may be apart by several spaces.
    @Test func keepsThePathWholeAndToleratesSpacing() {
        let mappings = ProcessMaps.parse("10000-20000  r-xp 0000a000  fd:01   42   /tmp/a b  (deleted)\nFFFF0000-FFFF1000 r--s 00000000 00:05 7 /dev/zero")
        #expect(mappings == [
            MemoryMapping(start: 0x10000, end: 0x20000, isReadable: true, isWritable: false, isExecutable: true, offset: 0xa000,
                          inode: 42, path: "/tmp/a b  (deleted)"),
            MemoryMapping(start: 0xffff_0000, end: 0xffff_1000, isReadable: true, isWritable: false, isExecutable: false, offset: 0,
                          inode: 7, path: "/dev/zero"),
        ])
    }
}
