import Glibc
import Binaries
import Profiles
import _CProcessShims
import Unwinding

/// A thread the tracer follows, with what it needs to sample it cheaply.
final class TracedThread {
    let tid: pid_t
    let process: SampledProcess
    /// Held by ``PTRACE_LISTEN`` in a group stop (job control): stopped on purpose, not sampled.
    var isListening = false
    /// Its creator's clone/fork event has been seen (or it is the root child): a new thread's own first stop
    /// can be reported before that event, and the thread can even end before it.
    var isAnnounced = false
    /// Filled at the last stop, waiting to be unwound.
    var hasSnapshot = false
    /// How long the tracer has held the thread stopped since ``takeStoppedTime()``: neither running nor waiting for a
    /// CPU, so `--wall` would count it as blocked (``WallRecorder/ticked(_:tid:statistics:stopped:voluntarySwitches:at:running:isRunnable:)``).
    private var stoppedTime: Int64 = 0

    func addStoppedTime(_ duration: Int64) { stoppedTime += max(0, duration) }

    func takeStoppedTime() -> Int64 {
        defer { stoppedTime = 0 }
        return stoppedTime
    }
    private(set) lazy var snapshot = ThreadSnapshot(stackCapacity: stackCapacity)
    /// Nanoseconds of CPU time the snapshot's sample stands for: what the thread used since its previous sample.
    private(set) var snapshotCPUTime: Int64 = 0
    /// With `--wall`, nanoseconds the tracer held the thread in the snapshot's stop: wall time the thread spent at the
    /// sampled stack, which its own clock counts and `schedstat` does not (set by the tracer, which times the stop).
    var snapshotStopTime: Int64 = 0
    /// The span the thread published when the snapshot was taken (OTEP 4947), read during the stop.
    private(set) var snapshotSpan: SpanLabels?
    /// The thread's CPU time (``cpuTime()``) when it was last sampled: 0 until then, since a thread or process
    /// is traced from its creation.
    private(set) var sampledCPUTime: Int64 = 0
    /// Its run-queue time (``SchedulerStatistics/waitTime``) when it was last sampled.
    private var sampledWaitTime: Int64 = 0
    /// `/proc/PID/task/TID/stat`, kept open so a state check is one `pread`.
    private var statDescriptor: Int32 = -1
    /// `/proc/PID/task/TID/schedstat`, kept open so reading the CPU time is one `pread`.
    private var schedstatDescriptor: Int32 = -1
    /// `/proc/PID/task/TID/status`, kept open for ``voluntarySwitches(buffer:)``.
    private var statusDescriptor: Int32 = -1
    private let stackCapacity: Int

    init(tid: pid_t, process: SampledProcess, stackCapacity: Int) {
        self.tid = tid
        self.process = process
        self.stackCapacity = stackCapacity
    }

    deinit {
        closeDescriptors()
    }

    private func closeDescriptors() {
        if statDescriptor >= 0 { close(statDescriptor) }
        if schedstatDescriptor >= 0 { close(schedstatDescriptor) }
        if statusDescriptor >= 0 { close(statusDescriptor) }
        statDescriptor = -1
        schedstatDescriptor = -1
        statusDescriptor = -1
    }

    /// A thread other than the leader exec'd: the kernel gave it the leader's tid, which this object now stands
    /// for, so the `/proc` files are the new task's and its CPU time is the exec'ing thread's (`former`).
    func took(over former: TracedThread?) {
        closeDescriptors()
        sampledCPUTime = former?.sampledCPUTime ?? 0
        sampledWaitTime = former?.sampledWaitTime ?? 0
    }

    /// Nanoseconds the thread has run on a CPU, the kernel's own count (`se.sum_exec_runtime`, the first field
    /// of `schedstat`); `nil` once the thread is gone.
    ///
    /// Read from `/proc` because `clock_gettime` refuses the CPU clock of a thread of another process (`EINVAL`:
    /// the kernel serves per-thread CPU clocks only within the caller's thread group). One `pread` of the
    /// open file costs about 0.9 µs of the tracer's CPU (`stat`, for the state: 2.8 µs). The kernel brings the
    /// count up to date at each scheduler tick and context switch, so for a thread on a CPU it can lag by up to
    /// a scheduler tick: that moves CPU time from one sample to the next, never out of the profile.
    func cpuTime() -> Int64? { schedulerStatistics()?.runTime }

    /// The whole of `schedstat` (its CPU time first), from the same kept-open file: what `--wall` needs each tick.
    func schedulerStatistics() -> SchedulerStatistics? {
        if schedstatDescriptor < 0 {
            schedstatDescriptor = open("/proc/\(process.pid)/task/\(tid)/schedstat", O_RDONLY | O_CLOEXEC)
            guard schedstatDescriptor >= 0 else { return nil }
        }
        return SchedulerStatistics.read(schedstatDescriptor)
    }

    /// How many times the thread has left a CPU of its own accord (`voluntary_ctxt_switches` of its `status`): to block,
    /// or to enter a ptrace stop. `nil` once the thread is gone, or when its `status` does not fit in `buffer` (the
    /// caller's, reused across threads; 4 KiB holds it but for a huge `Groups:` line): the residue is then left as blocked.
    ///
    /// `schedstat` cannot tell time blocked from time held in a ptrace stop: a count that went up by one since the
    /// previous stop says the thread has not blocked in between (``WallRecorder``). About 9 µs (one `pread` of 1.4 KB,
    /// at load 3.5), read in stops only.
    func voluntarySwitches(buffer: inout [UInt8]) -> Int64? {
        if statusDescriptor < 0 {
            statusDescriptor = open("/proc/\(process.pid)/task/\(tid)/status", O_RDONLY | O_CLOEXEC)
            guard statusDescriptor >= 0 else { return nil }
        }
        let key = Array("\nvoluntary_ctxt_switches:".utf8)
        return buffer.withUnsafeMutableBytes { bytes -> Int64? in
            let count = pread(statusDescriptor, bytes.baseAddress, bytes.count, 0)
            guard count > 0 else { return nil }
            guard let found = (0..<max(0, count - key.count)).first(where: { bytes[$0] == key[0] && bytes[$0..<($0 + key.count)].elementsEqual(key) }) else {
                return nil
            }
            let start = found + key.count
            var value: Int64 = 0
            for byte in bytes[start..<count] where byte != UInt8(ascii: "\t") && byte != UInt8(ascii: " ") {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                value = value &* 10 &+ Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
    }

    /// The thread's name (as `prctl(PR_SET_NAME)` or the program name set it) when ``isRunning()`` last read it.
    private(set) var name = ""

    /// Whether the scheduler has the thread running or runnable (state `R`): only those cost CPU. Notes the
    /// thread's name on the way, which the same line holds.
    func isRunning() -> Bool {
        if statDescriptor < 0 {
            statDescriptor = open("/proc/\(process.pid)/task/\(tid)/stat", O_RDONLY | O_CLOEXEC)
            guard statDescriptor >= 0 else { return false }
        }
        // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { bytes in
            let count = pread(statDescriptor, bytes.baseAddress, bytes.count, 0)
            guard count > 0, let open = bytes[0..<count].firstIndex(of: UInt8(ascii: "(")),
                  let close = bytes[0..<count].lastIndex(of: UInt8(ascii: ")")), open < close, close + 2 < count else {
                return false
            }
            name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
            return bytes[close + 2] == UInt8(ascii: "R")
        }
    }

    /// Whether the thread, seen with `statistics` at a tick, should be stopped and sampled: it ran since its previous
    /// sample, and if it waited for a CPU longer than it ran since, it ran ``minimumRunWhileWaiting``.
    ///
    /// A stop sends a thread back to the run queue: on a loaded machine it waits a scheduler round (milliseconds) before
    /// it runs again, and a thread stopped at every tick it ran at all runs only in the slivers between. With four busy
    /// loops beside it on 2 cores, a thread doing 2 s of work at 1 kHz ran 0.2 ms per round and took 31–60+ s (debug
    /// build; 5.6–8.4 s with this rule, 4.8–5.0 s unprofiled: BENCHMARKS.md). A thread that waits less than it runs keeps a sample
    /// per tick: `schedstat` counts a running thread's time at the kernel's scheduler ticks (`CONFIG_HZ`, as few as 100
    /// a second), so what it ran often reads as less. Either way a sample stands for the CPU time used since the previous
    /// one; what a thread runs after its last sample is not sampled (up to about ``minimumRunWhileWaiting`` more for a
    /// thread that waits).
    func isDue(_ statistics: SchedulerStatistics) -> Bool {
        let ran = statistics.runTime - sampledCPUTime
        return ran > 0 && (statistics.waitTime - sampledWaitTime <= ran || ran >= Self.minimumRunWhileWaiting)
    }

    /// 1 ms of CPU time, whatever the rate: about a scheduler slice (`sched_base_slice_ns`, 0.75 ms by default, times
    /// 1 + log2 of the CPUs up to 8), so that a stop costs a waiting thread at most about one round per slice it runs.
    /// A whole period instead (10 ms at 100 Hz) left up to 10 ms of each thread's end unsampled: 40 threads of 0.2 s on
    /// 2 cores at 100 Hz had 95.7 % of their CPU time in the profile, against 99.5 % (BENCHMARKS.md).
    static let minimumRunWhileWaiting: Int64 = 1_000_000

    /// Copies registers and the stack top of the stopped thread, a sample standing for the CPU time it used
    /// up to `look` (its `schedstat`, read before it was stopped) since its previous sample; `false` if the thread is
    /// gone (its CPU time then goes to its next sample).
    func capture(look: SchedulerStatistics) -> Bool {
        let snapshot = snapshot
        guard Ptrace.getRegisters(tid, into: &snapshot.registers) == 0 else { return false }
        snapshot.stackStart = snapshot.registers.rsp
        snapshot.useBuffer(length: RemoteMemory(pid: tid).readPrefix(snapshot.registers.rsp, into: snapshot.stackBuffer))
        // The OTEP lets a reader read a thread's record only while the thread is stopped: now.
        snapshotSpan = process.threadContext?.spanLabels(threadPointer: snapshot.registers.fs_base)
        snapshotCPUTime = max(0, look.runTime - sampledCPUTime)
        sampledCPUTime = max(sampledCPUTime, look.runTime)
        sampledWaitTime = max(sampledWaitTime, look.waitTime)
        hasSnapshot = true
        return true
    }
}
