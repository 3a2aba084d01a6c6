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
    }
}
