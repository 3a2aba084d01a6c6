import Binaries
import Glibc
import ProfilerTestSupport
import Testing
@testable import Unwinding

/// A module's CFI found through its program headers alone, as a loaded program may have it (no section headers).
@Suite struct ModuleCFITests {
    /// A segment that claims more of the file than there is, up to the top of the address space or past it:
    /// `.eh_frame` then ends where the file does, and a lookup finds nothing instead of trapping.
    @Test func aSegmentLargerThanTheFileEndsTheSectionAtTheFilesEnd() throws {
        let segments: [(start: UInt64, claimedSize: UInt64)] = [(0, .max), (0, UInt64(Int.max) + 1), (64, .max - 10)]
        for (start, claimedSize) in segments { try lookUp(start: start, claimedSize: claimedSize) }
    }

    private func lookUp(start: UInt64, claimedSize: UInt64) throws {
        var elf = HandMadeELF()
        elf.programHeaders = [HandMadeELF.segment(PT_LOAD), HandMadeELF.segment(PT_GNU_EH_FRAME)]  // counted in payloadOffset
        // Loaded at its file offsets: the header, then an empty `.eh_frame` (its terminator) right after it.
        let headerAddress = UInt64(elf.payloadOffset)
        let frameAddress = headerAddress + 16
        elf.payload = [1, 0x04, 0x03, 0x3b] + withUnsafeBytes(of: frameAddress.littleEndian) { Array($0) } + [0, 0, 0, 0]
            + [0, 0, 0, 0]
        elf.programHeaders = [
            HandMadeELF.segment(PT_LOAD, virtualAddress: start, memorySize: claimedSize, fileOffset: start, fileSize: claimedSize,
                                flags: PF_R | PF_X),
            HandMadeELF.segment(PT_GNU_EH_FRAME, virtualAddress: headerAddress, memorySize: 16),
        ]
        let image = try #require(elf.image())
        #expect(image.section(named: ".eh_frame") == nil)
        #expect(ModuleCFI(image: image).rule(at: frameAddress) == .libunwind, "segment at \(start), \(claimedSize) bytes")
    }
}
