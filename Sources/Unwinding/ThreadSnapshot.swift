import Glibc

/// What a sample keeps of a stopped thread: its registers and a copy of the top of its stack.
///
/// The thread runs again as soon as this is filled; unwinding reads only this copy and the module files,
/// never the live process. One snapshot per thread is reused from sample to sample.
///
/// The copy is in the snapshot's own buffer (ptrace copies into it) or in memory the sampler holds while it
/// unwinds (a record in a perf ring buffer, which is unwound in place rather than copied once more).
public final class ThreadSnapshot {
    /// The general-purpose registers, as `PTRACE_GETREGS` returns them.
    public var registers = user_regs_struct()
    /// The address the first byte of `stack` was copied from (the stack pointer at the stop).
    public var stackStart: UInt64 = 0
    /// The stack contents from `stackStart` up.
    public var stack = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Room for a copy; its size is the most stack a sample keeps.
    public let stackBuffer: UnsafeMutableRawBufferPointer
    /// Whether `registers.rbp` holds the thread's rbp: a thread read at rest from `/proc/TID/syscall` gives only its
    /// stack and instruction pointers, so a frame whose CFA is rbp-based must find it another way.
    public var framePointerIsKnown = true

    public init(stackCapacity: Int) {
        stackBuffer = .allocate(byteCount: stackCapacity, alignment: 16)
    }

    deinit { stackBuffer.deallocate() }

    /// Uses the first `length` bytes of `stackBuffer` (at most all of it) as the stack contents.
    public func useBuffer(length: Int) {
        stack = UnsafeRawBufferPointer(rebasing: stackBuffer[0..<min(max(length, 0), stackBuffer.count)])
    }

    /// The 8-byte word at `address` if it lies wholly in the copy.
    ///
    /// The copy may be empty or shorter than a word: the kernel copies nothing of a stack whose top page is
    /// not resident (a process that has just exec'd, a goroutine stack Go has just moved) or whose stack
    /// pointer is outside the address space, and `process_vm_readv` nothing of an unmapped one.
    func stackWord(at address: UInt64) -> UInt64? {
        guard address >= stackStart, stack.count >= 8, address - stackStart <= UInt64(stack.count - 8) else { return nil }
        return stack.loadUnaligned(fromByteOffset: Int(address - stackStart), as: UInt64.self)
    }

    /// The register libunwind numbers `number` (`UNW_X86_64_*`: DWARF order, then RIP as 16).
    func register(_ number: Int32) -> UInt64? {
        switch number {
        case 0: registers.rax
        case 1: registers.rdx
        case 2: registers.rcx
        case 3: registers.rbx
        case 4: registers.rsi
        case 5: registers.rdi
        case 6: framePointerIsKnown ? registers.rbp : nil
        case 7: registers.rsp
        case 8: registers.r8
        case 9: registers.r9
        case 10: registers.r10
        case 11: registers.r11
        case 12: registers.r12
        case 13: registers.r13
        case 14: registers.r14
        case 15: registers.r15
        case 16: registers.rip
        default: nil
        }
    }
}
