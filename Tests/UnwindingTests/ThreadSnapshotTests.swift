@testable import Unwinding
import Testing

@Suite struct ThreadSnapshotTests {
    /// A sample whose stack copy is empty or shorter than a word (the kernel copied nothing) reads no word; it
    /// trapped on `UInt64(-1)` before, killing hybrid-run mid-run.
    @Test(arguments: [0, 1, 7])
    func aCopyShorterThanAWordHoldsNone(length: Int) {
        let snapshot = ThreadSnapshot(stackCapacity: 64)
        snapshot.stackStart = 0x7fff_0000
        snapshot.useBuffer(length: length)
        #expect(snapshot.stackWord(at: 0x7fff_0000) == nil)
        #expect(snapshot.stackWord(at: 0x7fff_0008) == nil)
    }

    @Test func readsTheWordsInsideTheCopyOnly() {
        let snapshot = ThreadSnapshot(stackCapacity: 16)
        for index in 0..<16 { snapshot.stackBuffer[index] = UInt8(index) }
        snapshot.stackStart = 0x1000
        snapshot.useBuffer(length: 16)
        #expect(snapshot.stackWord(at: 0x1000) == 0x0706_0504_0302_0100)
        #expect(snapshot.stackWord(at: 0x1008) == 0x0f0e_0d0c_0b0a_0908)
        #expect(snapshot.stackWord(at: 0x1009) == nil)
        #expect(snapshot.stackWord(at: 0x0fff) == nil)
    }
}
