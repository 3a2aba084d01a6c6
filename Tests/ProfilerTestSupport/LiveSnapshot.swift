import _CProcessShims
import Binaries
import Glibc
import ProcessLaunch
import Unwinding

/// A real process's main thread at one stop: its registers, stack top and module map, kept after the
/// process is gone, so unwinding and symbolization are tested the way the profiler uses them.
///
/// Ptrace calls and `waitpid` here name the one child they started (never `-1`): the test runner has
/// other tests' children. Call from a synchronous test so everything runs on one thread.
public struct LiveSnapshot {
    public let snapshot: ThreadSnapshot
    public let modules: ModuleMap

    /// When a started process is far enough along to be copied. Polled on `/proc`: a loaded machine may give the
    /// process little CPU, so no fixed wait is long enough.
    public enum Readiness: Sendable {
        /// It has used this much CPU time, far more than its start-up takes: a CPU-bound workload is in its loop.
        case usedCPU(Duration)
        /// Every thread is asleep (state S): a workload that blocks, e.g. in `usleep`, is blocked there.
        case asleep

        func holds(for pid: pid_t) -> Bool {
            switch self {
            case .usedCPU(let duration):
                let (seconds, attoseconds) = duration.components
                let ticks = (Double(seconds) + Double(attoseconds) / 1e18) * Double(sysconf(Int32(_SC_CLK_TCK)))
                return Double(ProcessTable.cpuTicks(of: pid) ?? 0) >= ticks
            case .asleep:
                let states = ProcessTable.threadStates(of: pid)
                return !states.isEmpty && states.allSatisfy { $0 == "S" }
            }
        }
    }

    /// Starts `arguments` traced from its first instruction, lets it run until it is `ready`, copies the main
    /// thread at one stop, then kills and reaps it.
    public static func capture(_ arguments: [String], when ready: Readiness, images: ELFImageCache = ELFImageCache()) throws -> LiveSnapshot {
        try series(arguments, when: ready, count: 1, interval: .zero, images: images)[0]
    }

    /// Starts `arguments` traced from its first instruction, lets it run until it is `ready`, copies the main
    /// thread at `count` stops `interval` apart, then kills and reaps it: samples of one process image at
    /// arbitrary instructions, as a profiler takes them.
    public static func series(_ arguments: [String], when ready: Readiness, count: Int, interval: Duration,
                              images: ELFImageCache = ELFImageCache()) throws -> [LiveSnapshot] {
        let child = try GatedChild.spawn(arguments: arguments, environment: ["PATH": "/usr/bin:/bin"])
        let pid = child.pid
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, __WALL) < 0 && errno == EINTR {}
        }
        let options = Int(PTRACE_O_TRACEEXEC.rawValue)
        guard hr_ptrace(Int32(PTRACE_SEIZE.rawValue), pid, nil, UnsafeMutableRawPointer(bitPattern: options)) == 0 else {
            throw FixtureError("PTRACE_SEIZE failed: errno \(errno)")
        }
        guard child.release() == .started else { throw FixtureError("\(arguments[0]) did not start") }
        try waitForStop(pid)  // the exec event
        _ = hr_ptrace(Int32(PTRACE_CONT.rawValue), pid, nil, nil)
        try wait(until: ready, pid)
        var snapshots: [LiveSnapshot] = []
        while snapshots.count < count {
            if !snapshots.isEmpty {
                _ = hr_ptrace(Int32(PTRACE_CONT.rawValue), pid, nil, nil)
                sleep(for: interval)
            }
            guard hr_ptrace(Int32(PTRACE_INTERRUPT.rawValue), pid, nil, nil) == 0 else { throw FixtureError("interrupt failed") }
            try waitForStop(pid)
            snapshots.append(copy(pid, images: images))
        }
        return snapshots
    }

    /// The stopped thread's registers, stack from its stack pointer to the end of its mapping (up to 64 KiB),
    /// and modules.
    private static func copy(_ pid: pid_t, images: ELFImageCache) -> LiveSnapshot {
        let snapshot = ThreadSnapshot(stackCapacity: 64 * 1024)
        _ = withUnsafeMutablePointer(to: &snapshot.registers) {
            hr_ptrace(Int32(PTRACE_GETREGS.rawValue), pid, nil, UnsafeMutableRawPointer($0))
        }
        let mappings = ProcessMaps.read(pid: pid)
        let rsp = snapshot.registers.rsp
        let stackEnd = mappings.first { $0.contains(rsp) }?.end ?? rsp
        snapshot.stackStart = rsp
        var local = iovec(iov_base: snapshot.stackBuffer.baseAddress, iov_len: min(snapshot.stackBuffer.count, Int(stackEnd - rsp)))
        var remote = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(rsp)), iov_len: local.iov_len)
        snapshot.useBuffer(length: max(0, hr_process_vm_readv(pid, &local, 1, &remote, 1)))
        return LiveSnapshot(snapshot: snapshot, modules: ModuleMap(mappings: mappings, images: images))
    }

    private static func sleep(for duration: Duration) {
        var request = timespec(tv_sec: Int(duration.components.seconds),
                               tv_nsec: Int(duration.components.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) < 0 && errno == EINTR { request = remaining }
    }

    /// Polls every 10 ms for up to a minute; fails at once if the process ends first.
    private static func wait(until ready: Readiness, _ pid: pid_t) throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while !ready.holds(for: pid) {
            let states = ProcessTable.threadStates(of: pid)
            if states.isEmpty || states.contains("Z") { throw FixtureError("\(pid) ended before it was \(ready)") }
            if ContinuousClock.now >= deadline { throw FixtureError("\(pid) not \(ready) after 60 s (threads \(states))") }
            usleep(10_000)
        }
    }

    private static func waitForStop(_ pid: pid_t) throws {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, __WALL) } while result < 0 && errno == EINTR
        guard result == pid, hr_wifstopped(status) != 0 else { throw FixtureError("no stop from \(pid)") }
    }
}
