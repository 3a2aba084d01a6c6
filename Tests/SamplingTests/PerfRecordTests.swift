import _CProcessShims
import Binaries
import Glibc
@testable import Sampling
import Testing
import Unwinding

/// Records built by hand, byte by byte as the kernel lays them out (`perf_event_open(2)`), including the ones
/// it should never write: each must parse to something, never read past its end or trap.
@Suite struct PerfRecordTests {
    /// Little-endian fields appended in order.
    private struct Bytes {
        var bytes: [UInt8] = []
        mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func text(_ value: String, terminated: Bool = true) { bytes += Array(value.utf8) + (terminated ? [0] : []) }
    }

    /// A record of `type` whose header states `size` (by default the real size) over `body`.
    private func record(_ type: UInt32, misc: UInt16 = 0, size: UInt16? = nil, _ body: (inout Bytes) -> Void) -> [UInt8] {
        var content = Bytes()
        body(&content)
        var record = Bytes()
        record.u32(type)
        record.u16(misc)
        record.u16(size ?? UInt16(8 + content.bytes.count))
        return record.bytes + content.bytes
    }

    private func parse(_ bytes: [UInt8]) -> PerfRecord { bytes.withUnsafeBytes { PerfRecord($0) } }

    private func mmap2(start: UInt64 = 0x7f00_0000_0000, length: UInt64 = 0x2000, path: String = "/usr/lib/libc.so.6",
                       terminated: Bool = true) -> [UInt8] {
        record(PERF_RECORD_MMAP2.rawValue) { fields in
            fields.u32(42); fields.u32(43)
            fields.u64(start); fields.u64(length); fields.u64(0x1000)
            fields.u32(8); fields.u32(1); fields.u64(777); fields.u64(0)
            fields.u32(UInt32(PROT_READ | PROT_EXEC)); fields.u32(2)
            fields.text(path, terminated: terminated)
        }
    }

    @Test func readsAMapping() {
        let expected = MemoryMapping(start: 0x7f00_0000_0000, end: 0x7f00_0000_2000, isReadable: true, isWritable: false,
                                     isExecutable: true, offset: 0x1000, inode: 777, path: "/usr/lib/libc.so.6")
        #expect(parse(mmap2()) == .mapping(pid: 42, expected))
    }

    @Test func ignoresAMappingCutShortOrWithoutItsPathsEndOrWrappingTheAddressSpace() {
        #expect(parse(Array(mmap2().prefix(8 + 30))) == .other)
        #expect(parse(mmap2(path: "/no/terminating/nul", terminated: false)) == .other)
        #expect(parse(mmap2(start: UInt64.max - 0x1000, length: 0x2000)) == .other)
    }

    @Test func ignoresACommAndAForkCutShort() {
        let comm = record(PERF_RECORD_COMM.rawValue) { $0.u32(1); $0.u32(1); $0.text("sh") }
        #expect(parse(comm) == .comm(pid: 1, tid: 1, name: "sh", isExec: false))
        #expect(parse(Array(comm.prefix(comm.count - 1))) == .other, "the name's NUL cut off")
        let fork = record(PERF_RECORD_FORK.rawValue) { $0.u32(2); $0.u32(1); $0.u32(2) }
        #expect(parse(fork) == .other)
    }

    @Test func countsASampleTooShortForItsThreadAsLost() {
        #expect(parse(record(PERF_RECORD_SAMPLE.rawValue) { $0.u32(5) }) == .lost(count: 1))
    }

    @Test func boundsTheLostCount() {
        #expect(parse(record(PERF_RECORD_LOST.rawValue) { $0.u64(1); $0.u64(UInt64.max) }) == .lost(count: Int(UInt32.max)))
        #expect(parse(record(PERF_RECORD_LOST.rawValue) { $0.u64(1) }) == .lost(count: 0))
    }

    @Test func timeOfARecordTooShortForItIsZero() {
        #expect([UInt8](record(PERF_RECORD_EXIT.rawValue) { _ in }).withUnsafeBytes { PerfRecord.time(of: $0) } == 0)
        #expect(record(PERF_RECORD_SAMPLE.rawValue) { $0.u32(1); $0.u32(1) }.withUnsafeBytes { PerfRecord.time(of: $0) } == 0)
    }

    @Test func readsWhoASampleIsOfAndItsPeriod() {
        #expect(parse(sample(stackSize: 16, stack: Array(1...16), copied: 16)) == .sample(pid: 9, tid: 9, period: 4_040_000))
    }

    /// A sample as `PerfEventSet` asks for it: tid, time, period, user registers (rsp = 0x1000, rip = 0x2000), user stack.
    /// Without user registers (`PERF_SAMPLE_REGS_ABI_NONE`), the kernel writes the ABI alone, then an empty stack.
    private func sample(stackSize: UInt64, stack: [UInt8], copied: UInt64?, userRegisters: Bool = true) -> [UInt8] {
        record(PERF_RECORD_SAMPLE.rawValue) { fields in
            fields.u32(9); fields.u32(9); fields.u64(123); fields.u64(4_040_000)
            fields.u64(UInt64(userRegisters ? PERF_SAMPLE_REGS_ABI_64.rawValue : PERF_SAMPLE_REGS_ABI_NONE.rawValue))
            if userRegisters {
                for index in 0..<PerfRecord.registers.count { fields.u64(index == 7 ? 0x1000 : index == 8 ? 0x2000 : 0) }
            }
            fields.u64(stackSize)
            fields.bytes += stack
            if let copied { fields.u64(copied) }
        }
    }

    private func fill(_ bytes: [UInt8]) -> (registers: PerfRecord.SampleRegisters, stack: [UInt8], rip: UInt64) {
        let snapshot = ThreadSnapshot(stackCapacity: 0)
        let registers = bytes.withUnsafeBytes { PerfRecord.fillSnapshot(snapshot, fromSample: $0) }
        return (registers, Array(snapshot.stack), snapshot.registers.rip)
    }

    @Test func takesTheStackTheKernelCopied() {
        let result = fill(sample(stackSize: 16, stack: Array(1...16), copied: 12))
        #expect(result.registers == .filled && result.rip == 0x2000)
        #expect(result.stack == Array(1...12))
    }

    @Test func aCopiedSizeLargerThanTheCopyIsTheCopy() {
        #expect(fill(sample(stackSize: 16, stack: Array(1...16), copied: UInt64.max)).stack == Array(1...16))
    }

    @Test func leavesOutAStackThatDoesNotFitTheRecord() {
        for size in [UInt64(17), 1 << 40, UInt64.max, UInt64.max - 7] {
            let result = fill(sample(stackSize: size, stack: Array(1...16), copied: 16))
            #expect(result.registers == .filled && result.stack.isEmpty, "stack size \(size)")
        }
        #expect(fill(sample(stackSize: 16, stack: Array(1...16), copied: nil)).stack.isEmpty, "no copied size after it")
    }

    @Test func aSampleCutShortInItsRegistersIsNotFilled() {
        let whole = sample(stackSize: 0, stack: [], copied: nil)
        for length in [8, 20, 40, 100, whole.count - 1] {
            #expect(fill(Array(whole.prefix(length))).registers == .cutShort, "\(length) of \(whole.count) bytes")
        }
        #expect(fill(whole).registers == .filled)
    }

    /// A thread in the kernel with no user context (a process exiting after its memory is released) is sampled with
    /// the ABI alone: that is no damaged record, but a sample to count in the kernel.
    @Test func aSampleWithoutUserRegistersSaysSo() {
        #expect(fill(sample(stackSize: 0, stack: [], copied: nil, userRegisters: false)).registers == .kernelOnly)
    }

    /// `PERF_RECORD_SWITCH` (`--wall`): only the `sample_id` fields; `misc` says out or in, and preempted or not.
    @Test func readsContextSwitchesOutInAndPreempted() {
        func switchRecord(misc: Int32, size: UInt16? = nil) -> [UInt8] {
            record(PERF_RECORD_SWITCH.rawValue, misc: UInt16(misc), size: size) { fields in
                fields.u32(42); fields.u32(43); fields.u64(1_000)
            }
        }
        #expect(parse(switchRecord(misc: PERF_RECORD_MISC_SWITCH_OUT)) == .contextSwitch(pid: 42, tid: 43, out: true, preempted: false))
        #expect(parse(switchRecord(misc: PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT))
            == .contextSwitch(pid: 42, tid: 43, out: true, preempted: true))
        #expect(parse(switchRecord(misc: 0)) == .contextSwitch(pid: 42, tid: 43, out: false, preempted: false))
        #expect(parse(Array(switchRecord(misc: 0).prefix(8 + 6))) == .other, "cut short in its tid")
        #expect(switchRecord(misc: 0).withUnsafeBytes { PerfRecord.time(of: $0) } == 1_000)
    }
}
