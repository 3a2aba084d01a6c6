import Binaries
import Glibc
import ProfilerTestSupport
import Testing
@testable import Unwinding

/// `.eh_frame_hdr` as the file has it: its count and encodings are the file's word, checked against its size.
@Suite struct UnwindTableTests {
    /// A module whose whole file is loaded at address 0 and whose `.eh_frame_hdr` is `header`, at the file's end.
    private func module(header: [UInt8]) throws -> LoadedModule {
        var elf = HandMadeELF()
        elf.programHeaders = [HandMadeELF.segment(PT_LOAD), HandMadeELF.segment(PT_GNU_EH_FRAME)]  // counted in payloadOffset
        let headerAddress = UInt64(elf.payloadOffset)
        let fileSize = UInt64(elf.payloadOffset + header.count)
        elf.programHeaders = [
            HandMadeELF.segment(PT_LOAD, memorySize: fileSize, fileSize: fileSize, flags: PF_R | PF_X),
            HandMadeELF.segment(PT_GNU_EH_FRAME, virtualAddress: headerAddress, memorySize: UInt64(header.count)),
        ]
        elf.payload = header
        let image = try #require(elf.image())
        return LoadedModule(path: "hand-made", image: image, start: 0x10000, end: 0x10000 + fileSize, fileOffset: 0, loadBias: 0x10000)
    }

    /// version 1, `eh_frame_ptr` pcrel|sdata4, the count in `countEncoding`, the table datarel|sdata4.
    private func header(countEncoding: UInt8, count: [UInt8]) -> [UInt8] {
        [1, 0x1b, countEncoding, 0x3b] + [0, 0, 0, 0] + count
    }

    @Test func aCountLargerThanTheFileIsNoTable() throws {
        let huge = withUnsafeBytes(of: (UInt64(1) << 61).littleEndian) { Array($0) }
        #expect(UnwindTable(module: try module(header: header(countEncoding: 0x04, count: huge))) == nil)
    }

    @Test func readsATwoByteCountAtTheFilesEnd() throws {
        let table = try #require(UnwindTable(module: try module(header: header(countEncoding: 0x02, count: [0, 0]))))
        #expect(table.tableWords == 0)
    }

    @Test func aHeaderCutShortIsNoTable() throws {
        #expect(UnwindTable(module: try module(header: [1, 0x1b])) == nil)
        #expect(UnwindTable(module: try module(header: header(countEncoding: 0x03, count: [1, 0]))) == nil)
    }

    /// Built tables are read through the memory accessor at their own addresses; a table the file has never
    /// is, even if it lies where built tables do.
    @Test func aTableTheFileHasHasNoBuiltWords() throws {
        let table = try #require(UnwindTable(module: try module(header: header(countEncoding: 0x03, count: [1, 0, 0, 0])
            + [0, 0, 0, 0, 0, 0, 0, 0])))
        #expect(table.tableWords == 1)
        #expect(table.builtWord(at: table.tableStart) == nil)
    }
}
