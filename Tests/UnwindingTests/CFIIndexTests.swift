import Binaries
import Glibc
import Testing
@testable import Unwinding

/// Rules from hand-assembled `.eh_frame` contents: what each kind of row compiles to, and that truncated,
/// inconsistent or hostile CFI ends a stack instead of crashing the profiler.
@Suite struct CFIIndexTests {
    /// Assembles `.eh_frame` contents linked at `address`: CIEs (`zR`, 4-byte PC-relative pointers, code
    /// alignment 1, data alignment -8, return address column 16) and FDEs naming them.
    struct EHFrame {
        var address: UInt64 = 0x10000
        var bytes: [UInt8] = []

        /// Appends a CIE with `instructions` and returns its offset.
        @discardableResult
        mutating func cie(_ instructions: [UInt8], augmentation: [UInt8] = Array("zR".utf8),
                          augmentationData: [UInt8] = [0x1b]) -> Int {
            var body: [UInt8] = [0, 0, 0, 0, 1] + augmentation + [0, 1, 0x78, 16]
            if augmentation.first == UInt8(ascii: "z") { body += [UInt8(augmentationData.count)] + augmentationData }
            return entry(body + instructions)
        }

        /// Appends an FDE of the CIE at `cie` covering `length` bytes from `start`, and returns its offset.
        @discardableResult
        mutating func fde(cie: Int, start: UInt64, length: UInt32, _ instructions: [UInt8]) -> Int {
            let offset = bytes.count
            let pointerField = offset + 4
            let locationField = address + UInt64(offset + 8)
            return entry(le(UInt32(pointerField - cie)) + le(UInt32(truncatingIfNeeded: start &- locationField)) + le(length)
                + [0] + instructions)
        }

        mutating func entry(_ body: [UInt8]) -> Int {
            let offset = bytes.count
            bytes += le(UInt32(body.count)) + body
            return offset
        }

        func le(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }

        /// The rule at `address` as the profiler computes it from this section, through an index built by scanning.
        func rule(at address: UInt64) -> UnwindRule? {
            bytes.withUnsafeBytes { buffer in
                let section = CFISection(kind: .ehFrame, bytes: buffer, start: 0, end: buffer.count, address: self.address)!
                return CFIIndex(scanning: section).rule(at: address)
            }
        }
    }

    /// `.cfi_def_cfa rsp, 8; .cfi_offset rip, -8`, as compilers start every function.
    static let entryRow: [UInt8] = [0x0c, 0x07, 0x08, 0x90, 0x01]

    private func rule(_ kind: UnwindRule.Kind, cfa: Int32, framePointerAt: Int16? = nil) -> UnwindRule {
        var rule = UnwindRule(kind: kind)
        rule.cfaOffset = cfa
        rule.returnAddressOffset = -8
        rule.restoresFramePointer = framePointerAt != nil
        rule.framePointerOffset = framePointerAt ?? 0
        return rule
    }

    /// push rbp (1 byte); mov rbp, rsp (3 bytes); …; pop rbp; ret — and a second function after it.
    @Test func compilesAFramePointerPrologueRowByRow() {
        var frame = EHFrame()
        let cie = frame.cie(Self.entryRow)
        frame.fde(cie: cie, start: 0x1000, length: 0x20, [
            0x41, 0x0e, 0x10, 0x86, 0x02,  // +1: CFA rsp+16, rbp at CFA-16
            0x43, 0x0d, 0x06,              // +3: CFA rbp+16
            0x50, 0x0c, 0x07, 0x08,        // +16: CFA rsp+8 (rbp popped)
        ])
        frame.fde(cie: cie, start: 0x1020, length: 0x10, [0x44, 0x0e, 0x30])
        #expect(frame.rule(at: 0x1000) == rule(.cfaFromStackPointer, cfa: 8))
        #expect(frame.rule(at: 0x1001) == rule(.cfaFromStackPointer, cfa: 16, framePointerAt: -16))
        #expect(frame.rule(at: 0x1003) == rule(.cfaFromStackPointer, cfa: 16, framePointerAt: -16))
        #expect(frame.rule(at: 0x1004) == rule(.cfaFromFramePointer, cfa: 16, framePointerAt: -16))
        #expect(frame.rule(at: 0x1014) == rule(.cfaFromStackPointer, cfa: 8, framePointerAt: -16))
        #expect(frame.rule(at: 0x1023) == rule(.cfaFromStackPointer, cfa: 8))
        #expect(frame.rule(at: 0x1024) == rule(.cfaFromStackPointer, cfa: 0x30))
        #expect(frame.rule(at: 0x1030) == nil)
        #expect(frame.rule(at: 0x0fff) == nil)
    }

    /// An epilogue in the middle of a function: the state after it is the one remembered before it.
    @Test func restoresRememberedState() {
        var frame = EHFrame()
        let cie = frame.cie(Self.entryRow)
        frame.fde(cie: cie, start: 0x1000, length: 0x20, [
            0x41, 0x0e, 0x10, 0x83, 0x02,  // +1: push rbx
            0x0a, 0x41, 0x0e, 0x08, 0xc3,  // remember; +1: pop rbx (restore rbx)
            0x41, 0x0b,                    // +1: ret; restore state
        ])
        #expect(frame.rule(at: 0x1002) == rule(.cfaFromStackPointer, cfa: 8))
        #expect(frame.rule(at: 0x1003) == rule(.cfaFromStackPointer, cfa: 16))
    }

    @Test func leavesExpressionsToLibunwindAndEndsAtAnUndefinedReturnAddress() {
        var frame = EHFrame()
        let cie = frame.cie(Self.entryRow)
        frame.fde(cie: cie, start: 0x1000, length: 0x10, [0x41, 0x0f, 0x02, 0x77, 0x08])  // CFA = DW_OP_breg7 8
        frame.fde(cie: cie, start: 0x1010, length: 0x10, [0x41, 0x10, 0x03, 0x02, 0x73, 0x00])  // rbx = DW_OP_breg3 0
        frame.fde(cie: cie, start: 0x1020, length: 0x10, [0x41, 0x0d, 0x0c])  // CFA in r12
        frame.fde(cie: cie, start: 0x1030, length: 0x10, [0x41, 0x09, 0x06, 0x03])  // rbp in rbx
        frame.fde(cie: cie, start: 0x1040, length: 0x10, [0x07, 0x10])  // _start: no return address
        frame.fde(cie: cie, start: 0x1050, length: 0x10, [0x07, 0x06])  // rbp undefined: end of the chain
        frame.fde(cie: cie, start: 0x1060, length: 0x10, [0x14, 0x06, 0x02])  // DW_CFA_val_offset
        for start in stride(from: UInt64(0x1000), through: 0x1030, by: 0x10) {
            #expect(frame.rule(at: start)?.kind != .libunwind, "before the instruction")
            #expect(frame.rule(at: start + 1) == .libunwind)
        }
        #expect(frame.rule(at: 0x1040) == .endOfStack)
        #expect(frame.rule(at: 0x1050) == .endOfStack)
        #expect(frame.rule(at: 0x1060) == .libunwind)
    }

    /// A signal trampoline's CIE says `S`: its caller is looked up at its exact address.
    @Test func marksSignalFrames() {
        var frame = EHFrame()
        let cie = frame.cie(Self.entryRow, augmentation: Array("zRS".utf8))
        frame.fde(cie: cie, start: 0x1000, length: 0x10, [])
        #expect(frame.rule(at: 0x1000)?.isSignalFrame == true)
    }

    /// Each of these is CFI libunwind fails on as well: the stack ends there.
    @Test func endsTheStackAtMalformedInstructions() {
        let programs: [[UInt8]] = [
            [0x0b],                                  // DW_CFA_restore_state with nothing remembered
            [0x07, 0x11],                            // register 17
            [0x09, 0x03, 0x40],                      // DW_CFA_register from register 64
            [0x0e] + Array(repeating: 0xff, count: 10) + [0x7f],  // LEB128 past 64 bits
            [0x0f, 0x10, 0x77],                      // expression block longer than the FDE
            [0x1d],                                  // an opcode x86_64 does not have
            Array(repeating: 0x0a, count: 65),       // DW_CFA_remember_state nested 65 deep
            [0x0e],                                  // an operand cut off
        ]
        for program in programs {
            var frame = EHFrame()
            let cie = frame.cie(Self.entryRow)
            frame.fde(cie: cie, start: 0x1000, length: 0x10, program)
            #expect(frame.rule(at: 0x1000) == .endOfStack, "\(program)")
        }
    }

    /// Offsets no stack frame has, advances past the end of the address space, factors that overflow any
    /// product: the row is computed with wrapping arithmetic and compiles to what libunwind would make of it,
    /// or to nothing, without a trap.
    @Test func compilesHugeOffsetsAndAdvancesWithoutATrap() {
        func compiled(cie body: [UInt8], fde instructions: [UInt8], at address: UInt64 = 0x1000) -> UnwindRule? {
            var frame = EHFrame()
            let cie = frame.entry([0, 0, 0, 0, 1] + Array("zR".utf8) + [0] + body + [1, 0x1b] + Self.entryRow)
            frame.fde(cie: cie, start: 0x1000, length: 0x10, instructions)
            return frame.rule(at: address)
        }
        let standard: [UInt8] = [1, 0x78, 16]  // code alignment 1, data alignment -8, return address in column 16
        let twoToThe63: [UInt8] = Array(repeating: 0x80, count: 9) + [0x01]  // ULEB128
        // CFA = rsp + 2^63 (as an offset, -2^63), and rsp + 2^40: not a frame any stack holds, left to libunwind.
        #expect(compiled(cie: standard, fde: [0x0e] + twoToThe63) == .libunwind)
        #expect(compiled(cie: standard, fde: [0x0e, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]) == .libunwind)
        // The return address at CFA - 8 * 2^20 and at CFA + 8 * 2^20: past what a rule holds.
        #expect(compiled(cie: standard, fde: [0x90, 0x80, 0x80, 0x40]) == .libunwind)
        #expect(compiled(cie: standard, fde: [0x11, 0x10, 0x80, 0x80, 0x40]) == .libunwind)
        // Code alignment 2^63 and data alignment -2^63: the advance wraps to 0 and the offsets to -2^63.
        let extreme: [UInt8] = Array(repeating: 0x80, count: 9) + [0x01] + Array(repeating: 0x80, count: 9) + [0x7f, 16]
        #expect(compiled(cie: extreme, fde: [0x42, 0x0e, 0x10]) == .libunwind)
        // Advances by 2^32 - 1 (past the function) and by (2^32 - 1) * 2^40 (wraps past the end of the address space).
        #expect(compiled(cie: standard, fde: [0x04, 0xff, 0xff, 0xff, 0xff, 0x0e, 0x10], at: 0x100f) == rule(.cfaFromStackPointer, cfa: 8))
        let wide: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x78, 16]
        #expect(compiled(cie: wide, fde: [0x04, 0xff, 0xff, 0xff, 0xff, 0x0e, 0x10], at: 0x100f) == rule(.cfaFromStackPointer, cfa: 8))
    }

    /// A `.eh_frame_hdr` linked at the top of the address space: the address of its `.eh_frame` pointer field
    /// wraps instead of trapping, and the table reads only what lies in the file.
    @Test func readsAHeaderTableAtTheTopOfTheAddressSpace() {
        var frame = EHFrame()
        let cie = frame.cie(Self.entryRow)
        let fde = frame.fde(cie: cie, start: 0x1000, length: 0x10, [])
        let headerAddress = UInt64.max - 1
        func le32(_ value: UInt64) -> [UInt8] { frame.le(UInt32(truncatingIfNeeded: value)) }
        // Version 1, `.eh_frame` as udata8, the count as udata4, the table datarel|sdata4: one entry there,
        // and a count that claims 1,000.
        for count: UInt64 in [1, 1000] {
            let header: [UInt8] = [1, 0x04, 0x03, 0x3b] + le32(frame.address) + le32(frame.address >> 32) + le32(count)
                + le32(0x1000 &- headerAddress) + le32(frame.address &+ UInt64(fde) &- headerAddress)
            let found = frame.bytes.withUnsafeBytes { section in
                header.withUnsafeBytes { bytes in
                    CFIIndex(header: bytes, at: 0, address: headerAddress) { address in
                        CFISection(kind: .ehFrame, bytes: section, start: 0, end: section.count, address: address)
                    }.flatMap { $0.rule(at: 0x1004) }
                }
            }
            #expect(found == (count == 1 ? rule(.cfaFromStackPointer, cfa: 8) : nil), "count \(count)")
        }
    }

    /// Entries that point where they must not, or claim more bytes than there are.
    @Test func readsNothingThroughInconsistentEntries() {
        var selfPointing = EHFrame()
        selfPointing.cie(Self.entryRow)
        let fde = selfPointing.fde(cie: 0, start: 0x1000, length: 0x10, [])
        selfPointing.bytes.replaceSubrange((fde + 4)..<(fde + 8), with: selfPointing.le(4))  // its CIE is itself
        #expect(selfPointing.rule(at: 0x1000) == nil)

        var beforeTheSection = EHFrame()
        beforeTheSection.cie(Self.entryRow)
        let early = beforeTheSection.fde(cie: 0, start: 0x1000, length: 0x10, [])
        beforeTheSection.bytes.replaceSubrange((early + 4)..<(early + 8), with: beforeTheSection.le(0x1000))
        #expect(beforeTheSection.rule(at: 0x1000) == nil)

        var hugeAugmentation = EHFrame()
        let cie = hugeAugmentation.cie(Self.entryRow, augmentationData: [0x1b])
        hugeAugmentation.bytes[cie + 15] = 0x7f  // the augmentation data's length
        hugeAugmentation.fde(cie: cie, start: 0x1000, length: 0x10, [])
        #expect(hugeAugmentation.rule(at: 0x1000) == nil)

        var unknownAugmentation = EHFrame()
        let old = unknownAugmentation.cie(Self.entryRow, augmentation: Array("eh".utf8))
        unknownAugmentation.fde(cie: old, start: 0x1000, length: 0x10, [])
        #expect(unknownAugmentation.rule(at: 0x1000) == nil)

        var overlong = EHFrame()
        overlong.cie(Self.entryRow)
        let last = overlong.fde(cie: 0, start: 0x1000, length: 0x10, [])
        overlong.bytes.replaceSubrange(last..<(last + 4), with: overlong.le(0xffff_fff0))
        #expect(overlong.rule(at: 0x1000) == nil)
    }

    /// Every one-byte change and every truncation of real CFI (the first KiB of this process's libc's
    /// `.eh_frame`): the index and rules are computed for each without a trap, whatever they come out as.
    @Test func survivesEveryOneByteChangeOfRealCFI() throws {
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
        let libc = try #require(modules.modules.first { $0.name.hasPrefix("libc.so") }?.image)
        let section = try #require(libc.section(named: ".eh_frame"))
        let original = Array(libc.bytes[section.fileOffset..<(section.fileOffset + min(section.size, 1024))])
        let addresses = original.withUnsafeBytes { buffer in
            let cfi = CFISection(kind: .ehFrame, bytes: buffer, start: 0, end: buffer.count, address: section.virtualAddress)!
            return cfi.descriptionEntries().map(\.start)
        }
        try #require(addresses.count > 10)
        func rules(_ bytes: [UInt8]) -> Int {
            bytes.withUnsafeBytes { buffer in
                let cfi = CFISection(kind: .ehFrame, bytes: buffer, start: 0, end: buffer.count, address: section.virtualAddress)!
                let index = CFIIndex(scanning: cfi)
                return addresses.reduce(0) { $0 + (index.rule(at: $1) == nil ? 0 : 1) }
            }
        }
        #expect(rules(original) == addresses.count)
        var mutated = original
        for position in original.indices {
            for value: UInt8 in [0x00, 0x7f, 0x80, 0xff] where value != original[position] {
                mutated[position] = value
                _ = rules(mutated)
            }
            mutated[position] = original[position]
        }
        for length in stride(from: 0, to: original.count, by: 3) { _ = rules(Array(original.prefix(length))) }
    }
}
