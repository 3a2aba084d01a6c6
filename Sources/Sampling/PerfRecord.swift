import _CProcessShims
import Binaries
import Glibc
import Unwinding

/// One record of a perf ring buffer, as ``PerfEventSet`` asks the kernel to write them: samples carrying
/// the user registers and a copy of the stack top, and the side-band records that say which processes,
/// threads, programs and mappings the samples belong to.
///
/// Every record ends with (or, for samples, starts with) the pid, tid and time of `sample_id_all`, so
/// records from several CPUs can be put back in the order they happened.
enum PerfRecord {
    case sample(pid: pid_t, tid: pid_t)
    case mapping(pid: pid_t, MemoryMapping)
    case comm(pid: pid_t, tid: pid_t, name: String, isExec: Bool)
    case fork(pid: pid_t, tid: pid_t, parentPID: pid_t, parentTID: pid_t)
    case exit(pid: pid_t, tid: pid_t)
    case lost(count: Int)
    case other

    /// What each sample carries: who, when, the user registers and the user stack.
    static let sampleType = UInt64(PERF_SAMPLE_TID.rawValue | PERF_SAMPLE_TIME.rawValue
        | PERF_SAMPLE_REGS_USER.rawValue | PERF_SAMPLE_STACK_USER.rawValue)

    /// The registers libunwind needs on x86_64, in the order the kernel writes them (by register number).
    static let registers: [perf_event_x86_regs] = [
        PERF_REG_X86_AX, PERF_REG_X86_BX, PERF_REG_X86_CX, PERF_REG_X86_DX, PERF_REG_X86_SI, PERF_REG_X86_DI,
        PERF_REG_X86_BP, PERF_REG_X86_SP, PERF_REG_X86_IP, PERF_REG_X86_R8, PERF_REG_X86_R9, PERF_REG_X86_R10,
        PERF_REG_X86_R11, PERF_REG_X86_R12, PERF_REG_X86_R13, PERF_REG_X86_R14, PERF_REG_X86_R15,
    ]
    static let registerMask = registers.reduce(UInt64(0)) { $0 | 1 << UInt64($1.rawValue) }

    private static let headerSize = MemoryLayout<perf_event_header>.size

    init(_ record: UnsafeRawBufferPointer) {
        let type = record.load(fromByteOffset: 0, as: UInt32.self)
        let misc = record.load(fromByteOffset: 4, as: UInt16.self)
        let h = Self.headerSize
        func int32(_ offset: Int) -> pid_t { record.loadUnaligned(fromByteOffset: h + offset, as: pid_t.self) }
        func uint64(_ offset: Int) -> UInt64 { record.loadUnaligned(fromByteOffset: h + offset, as: UInt64.self) }
        func string(_ offset: Int) -> String {
            let bytes = record[(h + offset)...].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        switch type {
        case PERF_RECORD_SAMPLE.rawValue:
            self = .sample(pid: int32(0), tid: int32(4))
        case PERF_RECORD_MMAP2.rawValue:
            let start = uint64(8)
            let protection = record.loadUnaligned(fromByteOffset: h + 56, as: Int32.self)
            self = .mapping(pid: int32(0), MemoryMapping(
                start: start, end: start + uint64(16),
                isReadable: protection & PROT_READ != 0, isWritable: protection & PROT_WRITE != 0,
                isExecutable: protection & PROT_EXEC != 0,
                offset: uint64(24), inode: uint64(40), path: string(64)))
        case PERF_RECORD_COMM.rawValue:
            self = .comm(pid: int32(0), tid: int32(4), name: string(8), isExec: Int32(misc) & PERF_RECORD_MISC_COMM_EXEC != 0)
        case PERF_RECORD_FORK.rawValue:
            self = .fork(pid: int32(0), tid: int32(8), parentPID: int32(4), parentTID: int32(12))
        case PERF_RECORD_EXIT.rawValue:
            self = .exit(pid: int32(0), tid: int32(8))
        case PERF_RECORD_LOST.rawValue:
            self = .lost(count: Int(uint64(8)))
        default:
            self = .other
        }
    }

    /// When the record was written (perf's clock), from its `sample_id` fields.
    static func time(of record: UnsafeRawBufferPointer) -> UInt64 {
        let type = record.load(fromByteOffset: 0, as: UInt32.self)
        let offset = type == PERF_RECORD_SAMPLE.rawValue ? headerSize + 8 : record.count - 8
        return record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }

    /// Points `snapshot` at a sample's registers and stack copy, which stay in `record` (valid until the
    /// record is consumed); `false` when the sample has no user registers (it interrupted a kernel thread).
    static func fillSnapshot(_ snapshot: ThreadSnapshot, fromSample record: UnsafeRawBufferPointer) -> Bool {
        var offset = headerSize + 16
        let abi = record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        guard abi != 0 else { return false }
        func register(_ index: Int) -> UInt64 {
            record.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self)
        }
        snapshot.registers.rax = register(0)
        snapshot.registers.rbx = register(1)
        snapshot.registers.rcx = register(2)
        snapshot.registers.rdx = register(3)
        snapshot.registers.rsi = register(4)
        snapshot.registers.rdi = register(5)
        snapshot.registers.rbp = register(6)
        snapshot.registers.rsp = register(7)
        snapshot.registers.rip = register(8)
        snapshot.registers.r8 = register(9)
        snapshot.registers.r9 = register(10)
        snapshot.registers.r10 = register(11)
        snapshot.registers.r11 = register(12)
        snapshot.registers.r12 = register(13)
        snapshot.registers.r13 = register(14)
        snapshot.registers.r14 = register(15)
        snapshot.registers.r15 = register(16)
        offset += 8 * registers.count
        snapshot.stackStart = snapshot.registers.rsp
        let size = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        guard size > 0, offset + size + 8 <= record.count else {
            snapshot.stack = UnsafeRawBufferPointer(start: nil, count: 0)
            return true
        }
        let valid = Int(record.loadUnaligned(fromByteOffset: offset + size, as: UInt64.self))
        snapshot.stack = UnsafeRawBufferPointer(rebasing: record[offset..<offset + min(valid, size)])
        return true
    }
}
