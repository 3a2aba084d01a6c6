/// How the wall time of a profile (`--wall`) was recorded: the off-CPU time and how much of it has its own stack.
///
/// A thread's wall time is its CPU time (the samples), its run-queue time (runnable, waiting for a CPU: counted at
/// the stack it last ran) and its blocked time (off the CPU by its own doing: a syscall, a lock, a sleep), counted at
/// the stack it blocked in.
public struct WallStatistics: Sendable, Equatable {
    /// Nanoseconds threads spent blocked, and in how many intervals (voluntary switch-out to switch-in).
    public var blockedTime: Int64
    public var blockedIntervals: Int
    /// Of ``blockedIntervals``, those whose blocked stack was read while they lasted (the rest, too short to be seen
    /// between two looks, count at the stack their thread last blocked in: ``estimatedTime``).
    public var observedIntervals: Int
    /// Blocked nanoseconds counted at the thread's previous blocked stack (or, without one, its last CPU stack).
    public var estimatedTime: Int64
    /// Blocked or run-queue nanoseconds of threads with no stack at all yet (never sampled, never seen blocked):
    /// counted here, in no stack of the profile.
    public var unattributedTime: Int64
    /// Nanoseconds threads waited runnable for a CPU (preempted).
    public var runQueueTime: Int64
    /// Nanoseconds threads ran on a CPU that no sample stands for (perf events without kernel sampling: the kernel's
    /// part), counted at the stack they last ran.
    public var unsampledRunTime: Int64
    /// Nanoseconds the ptrace sampler held threads stopped to sample them, counted at the stack sampled: the thread
    /// spent that wall time there, neither running nor waiting for a CPU.
    public var stoppedTime: Int64
    /// Reads of a blocked thread's registers and stack (`/proc/TID/syscall`, `process_vm_readv`), and those that
    /// found the thread running again or gone.
    public var probes: Int
    public var probesFailed: Int
    /// Context-switch records read (perf events; 0 with ptrace).
    public var switchRecords: Int

    public init(blockedTime: Int64 = 0, blockedIntervals: Int = 0, observedIntervals: Int = 0, estimatedTime: Int64 = 0,
                unattributedTime: Int64 = 0, runQueueTime: Int64 = 0, unsampledRunTime: Int64 = 0, stoppedTime: Int64 = 0, probes: Int = 0, probesFailed: Int = 0, switchRecords: Int = 0) {
        self.blockedTime = blockedTime
        self.blockedIntervals = blockedIntervals
        self.observedIntervals = observedIntervals
        self.estimatedTime = estimatedTime
        self.unattributedTime = unattributedTime
        self.runQueueTime = runQueueTime
        self.unsampledRunTime = unsampledRunTime
        self.stoppedTime = stoppedTime
        self.probes = probes
        self.probesFailed = probesFailed
        self.switchRecords = switchRecords
    }

    /// Every count is per window and adds up.
    public func merged(with later: WallStatistics) -> WallStatistics {
        WallStatistics(
            blockedTime: blockedTime + later.blockedTime, blockedIntervals: blockedIntervals + later.blockedIntervals,
            observedIntervals: observedIntervals + later.observedIntervals, estimatedTime: estimatedTime + later.estimatedTime,
            unattributedTime: unattributedTime + later.unattributedTime, runQueueTime: runQueueTime + later.runQueueTime,
            unsampledRunTime: unsampledRunTime + later.unsampledRunTime, stoppedTime: stoppedTime + later.stoppedTime,
            probes: probes + later.probes, probesFailed: probesFailed + later.probesFailed,
            switchRecords: switchRecords + later.switchRecords)
    }
}
