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
