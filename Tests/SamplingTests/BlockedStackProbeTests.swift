import Foundation
import Glibc
@testable import Sampling
import Testing

/// `/proc/PID/task/TID/syscall` as the kernel writes it (`proc_pid_syscall`), and read from a real blocked process.
@Suite struct BlockedStackProbeTests {
    private func parse(_ line: String) -> (sp: UInt64, pc: UInt64)? { BlockedStackProbe.parse(ArraySlice(line.utf8)) }

    @Test func takesTheStackAndInstructionPointersOfABlockedThread() throws {
        let registers = try #require(parse("202 0x7fce60939990 0x109 0x6577 0x0 0x0 0xffffffff 0x7fffd3cfbab0 0x7fce619c4f16\n"))
        #expect(registers.sp == 0x7fff_d3cf_bab0)
        #expect(registers.pc == 0x7fce_619c_4f16)
        let outsideASyscall = try #require(parse("-1 0x7ffd1000 0x401000\n"), "blocked in a page fault")
        #expect(outsideASyscall.sp == 0x7ffd_1000 && outsideASyscall.pc == 0x40_1000)
    }

    @Test func aRunningThreadOrAnUnexpectedLineHasNone() {
        #expect(parse("running\n") == nil)
        #expect(parse("") == nil)
        #expect(parse("202 0x1 0x2\n0x3") == nil)
        #expect(parse("202 zz yy\n") == nil)
    }

    /// A child blocked in `sleep` (nanosleep) has both pointers, and reading them leaves it blocked: it still ends
    /// when its sleep does, not interrupted (a restarted or interrupted sleep would end early or fail).
    @Test func readsARealBlockedProcessWithoutInterruptingIt() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["0.5"]
        try child.run()
        let path = "/proc/\(child.processIdentifier)/task/\(child.processIdentifier)/syscall"
        var registers: (sp: UInt64, pc: UInt64)?
        // The child is running until it reaches nanosleep: read until it is blocked (bounded by its own sleep).
        while registers == nil, child.isRunning {
            if case let .success(read) = BlockedStackProbe.blockedRegisters(path: path) { registers = read }
        }
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        let found = try #require(registers, "seen blocked")
        #expect(found.sp != 0 && found.pc != 0)
    }
}
