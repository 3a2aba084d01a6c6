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
enum PerfRecord: Equatable {
    /// `period`: the period the sampled thread's event had when it was created (``PeriodJitter``).
    case sample(pid: pid_t, tid: pid_t, period: UInt64)
    case mapping(pid: pid_t, MemoryMapping)
    case comm(pid: pid_t, tid: pid_t, name: String, isExec: Bool)
    case fork(pid: pid_t, tid: pid_t, parentPID: pid_t, parentTID: pid_t)
    case exit(pid: pid_t, tid: pid_t)
    /// The thread went off (`out`) or on a CPU; `preempted`: it went off still runnable (`--wall`).
    case contextSwitch(pid: pid_t, tid: pid_t, out: Bool, preempted: Bool)
    case lost(count: Int)
    case other

    /// What each sample carries: who, when, at which period, the user registers and the user stack.
    static let sampleType = UInt64(PERF_SAMPLE_TID.rawValue | PERF_SAMPLE_TIME.rawValue | PERF_SAMPLE_PERIOD.rawValue
        | PERF_SAMPLE_REGS_USER.rawValue | PERF_SAMPLE_STACK_USER.rawValue)

    /// The registers libunwind needs on x86_64, in the order the kernel writes them (by register number).
    static let registers: [perf_event_x86_regs] = [
        PERF_REG_X86_AX, PERF_REG_X86_BX, PERF_REG_X86_CX, PERF_REG_X86_DX, PERF_REG_X86_SI, PERF_REG_X86_DI,
        PERF_REG_X86_BP, PERF_REG_X86_SP, PERF_REG_X86_IP, PERF_REG_X86_R8, PERF_REG_X86_R9, PERF_REG_X86_R10,
        PERF_REG_X86_R11, PERF_REG_X86_R12, PERF_REG_X86_R13, PERF_REG_X86_R14, PERF_REG_X86_R15,
    ]
    static let registerMask = registers.reduce(UInt64(0)) { $0 | 1 << UInt64($1.rawValue) }

    private static let headerSize = MemoryLayout<perf_event_header>.size

    /// Reads the fields of `record` (header included, as ``PerfRingBuffer/peek()`` returns it).
    ///
    /// Every field is read bounds-checked: a record shorter than its type says is a sample counted as lost,
    /// or a side-band record ignored, never a read past its end. A string must end (NUL) inside the record.
    init(_ record: UnsafeRawBufferPointer) {
        let fields = ByteReader(record)
        let h = Self.headerSize
        guard let type = fields.load(UInt32.self, at: 0), let misc = fields.load(UInt16.self, at: 4) else {
            self = .other
            return
        }
        func int32(_ offset: Int) -> pid_t? { fields.load(pid_t.self, at: h + offset) }
        func uint64(_ offset: Int) -> UInt64? { fields.load(UInt64.self, at: h + offset) }
        switch type {
        case PERF_RECORD_SAMPLE.rawValue:
            guard let pid = int32(0), let tid = int32(4), let period = uint64(16) else {
                self = .lost(count: 1)
                return
            }
            self = .sample(pid: pid, tid: tid, period: period)
        case PERF_RECORD_MMAP2.rawValue:
            guard let pid = int32(0), let start = uint64(8), let length = uint64(16), let offset = uint64(24),
                  let inode = uint64(40), let protection = int32(56), let path = fields.string(at: h + 64),
                  case let (end, overflow) = start.addingReportingOverflow(length), !overflow
            else {
                self = .other
                return
            }
            self = .mapping(pid: pid, MemoryMapping(
                start: start, end: end,
                isReadable: protection & PROT_READ != 0, isWritable: protection & PROT_WRITE != 0,
                isExecutable: protection & PROT_EXEC != 0, offset: offset, inode: inode, path: path))
        case PERF_RECORD_COMM.rawValue:
            guard let pid = int32(0), let tid = int32(4), let name = fields.string(at: h + 8) else {
                self = .other
                return
            }
            self = .comm(pid: pid, tid: tid, name: name, isExec: Int32(misc) & PERF_RECORD_MISC_COMM_EXEC != 0)
        case PERF_RECORD_FORK.rawValue:
            guard let pid = int32(0), let parentPID = int32(4), let tid = int32(8), let parentTID = int32(12) else {
                self = .other
                return
            }
            self = .fork(pid: pid, tid: tid, parentPID: parentPID, parentTID: parentTID)
        case PERF_RECORD_EXIT.rawValue:
            guard let pid = int32(0), let tid = int32(8) else {
                self = .other
                return
            }
            self = .exit(pid: pid, tid: tid)
        case PERF_RECORD_SWITCH.rawValue:
            // No body of its own: the `sample_id` fields (pid, tid, time) follow the header
            // (include/uapi/linux/perf_event.h, PERF_RECORD_SWITCH); `misc` says which way and why.
            guard let pid = int32(0), let tid = int32(4) else {
                self = .other
                return
            }
            self = .contextSwitch(pid: pid, tid: tid, out: Int32(misc) & PERF_RECORD_MISC_SWITCH_OUT != 0,
                                  preempted: Int32(misc) & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT != 0)
        case PERF_RECORD_LOST.rawValue:
            // A buffer cannot hold anywhere near 2³² records: a larger count is not a count.
            self = .lost(count: Int(min(uint64(8) ?? 0, UInt64(UInt32.max))))
        default:
            self = .other
        }
    }

    /// When the record was written (perf's clock), from its `sample_id` fields; 0 (apply at once) when the
    /// record is too short to have them.
    static func time(of record: UnsafeRawBufferPointer) -> UInt64 {
        let fields = ByteReader(record)
        let offset = fields.load(UInt32.self, at: 0) == PERF_RECORD_SAMPLE.rawValue ? headerSize + 8 : record.count - 8
        return offset >= headerSize ? fields.load(UInt64.self, at: offset) ?? 0 : 0
    }

    /// What ``fillSnapshot(_:fromSample:)`` found in a sample.
    enum SampleRegisters: Equatable {
        case filled
        /// `PERF_SAMPLE_REGS_ABI_NONE`: the thread had no user context (``KernelFrame``).
        case kernelOnly
        /// The record is too short to hold what its ABI says it holds.
        case cutShort
    }

    /// Points `snapshot` at a sample's registers and stack copy, which stay in `record` (valid until the
    /// record is consumed). A stack copy that does not fit the record is left out.
    static func fillSnapshot(_ snapshot: ThreadSnapshot, fromSample record: UnsafeRawBufferPointer) -> SampleRegisters {
        var offset = headerSize + 24
        let fields = ByteReader(record)
        guard let abi = fields.load(UInt64.self, at: offset) else { return .cutShort }
        guard abi != 0 else { return .kernelOnly }
        guard record.count - offset >= 8 * (1 + registers.count) + 8 else { return .cutShort }
        offset += 8
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
        let size = record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        // The copy (`size` bytes) is followed by the size the kernel actually copied (`dyn_size`).
        let room = UInt64(record.count - offset)
        guard size > 0, room >= 8, size <= room - 8 else {
            snapshot.stack = UnsafeRawBufferPointer(start: nil, count: 0)
            return .filled
        }
        let valid = record.loadUnaligned(fromByteOffset: offset + Int(size), as: UInt64.self)
        snapshot.stack = UnsafeRawBufferPointer(rebasing: record[offset..<offset + Int(min(valid, size))])
        return .filled
    }
}
