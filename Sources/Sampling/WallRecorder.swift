import Glibc
import Logging
import Profiles
import Unwinding

/// Where each thread of the sampled tree spends its wall-clock time off the CPU (`--wall`), on the sampler's
/// thread: when it blocked and for how long (perf events: the kernel's context-switch records, ``switched(_:tid:out:preempted:time:)``;
/// ptrace: `schedstat` at each tick, ``ticked(_:tid:statistics:stopped:voluntarySwitches:at:running:isRunnable:)``), and where (a ``BlockedStackProbe`` of the
/// blocked thread), added to the ``ProfileStore`` as off-CPU time per stack.
///
/// Per thread, a voluntary switch-out opens a *blocked* interval and the next switch-in closes it; its length,
/// exact from the records' timestamps, is counted at the stack a probe read while it lasted. A preempted thread
/// (runnable, switched out for another) is not off-CPU by its own doing: its run-queue time counts at the stack it
/// last ran, so that every thread's wall time adds up to its lifetime. A thread blocked for the whole run (an idle
/// pool) is probed once, then costs nothing until it runs again; its time is counted at each ``flushIfDue(until:)``.
///
/// Blocks too short to be probed (shorter than the time records take to be read) are seen only by the probes that
/// happen to fall in them; the others count at the stack of the thread's latest *short* block that was seen (so
/// that a thread's short waits are sampled among themselves, not counted at its long ones), else its latest block,
/// else the stack it last ran: an estimate, counted apart (``WallStatistics/estimatedTime``).
///
/// Off-CPU time is labelled with the span the thread published (OTEP 4947) as CPU samples are: a blocked interval with
/// the span the probe read in it (the thread cannot change it while blocked), run-queue and unsampled running time with
/// the span of the thread's last CPU sample (it was running in it when it was switched out), an estimated block with the
/// span of the block whose stack it takes. Time at a stack read without a span keeps the root span's labels.
final class WallRecorder {
    private struct Observation {
        var time: UInt64
        var imageID: Int
        var stack: [UInt64]
        /// The span the thread was in, as its probe or CPU sample read it.
        var span: SpanLabels?
        /// For a stack with a frame outside every known module: the process's module generation it was unwound
        /// with. Mappings are applied from records read ~10 ms late, so a process just started may not have its
        /// libraries yet: it is probed again once its modules change.
        var incompleteAt: Int? = nil
    }

    private enum State {
        case running
        case blocked(since: UInt64)
        case preempted(since: UInt64)
    }

    private struct ThreadState {
        var process: SampledProcess
        var state = State.running
        /// Blocked time up to here is already counted (``WallRecorder/flushIfDue(until:)``).
        var countedUntil: UInt64 = 0
        /// Probes not yet matched with the blocked interval they fall in, oldest first.
        var observations: [Observation] = []
        /// The stack of the thread's latest observed block, and of its latest observed short one (``shortBlock``).
        var lastBlocked: Observation?
        var lastShortBlocked: Observation?
        var lastCPU: (imageID: Int, stack: [UInt64], span: SpanLabels?)?
        /// ptrace: the thread's `schedstat` at the previous tick (and its voluntary switches, when read in a stop), and when it
        /// was read (CLOCK_MONOTONIC ns).
        var lastLook: (statistics: SchedulerStatistics, voluntarySwitches: Int64?, time: UInt64)?
        /// perf: when the thread last went on a CPU, the CPU time its samples stood for since, and the running time
        /// the samples have not covered so far (negative: they covered more, by chance).
        var runningSince: UInt64?
        var sampledSinceRunning: Int64 = 0
        var unsampledBalance: Int64 = 0
        /// Run-queue nanoseconds waiting for the thread's first CPU sample (it was preempted before any).
        var pendingRunQueue: Int64 = 0
        /// ptrace: the block the thread was in at its previous look; the block it left before a look found it runnable,
        /// whose end is still in ``unsettled``; and the time since the thread's last count that neither `schedstat` nor the
        /// tracer's stops account for: blocked time, or a run-queue wait or CPU time the kernel has not yet added to
        /// `schedstat` (negative: what was counted as blocked turned out to be such a wait).
        var currentBlock: Observation?
        var leftBlock: Observation?
        var unsettled: Int64 = 0

        /// The stack the thread last ran, as an observation at `time`.
        func lastCPUObservation(at time: UInt64) -> Observation? {
            lastCPU.map { Observation(time: time, imageID: $0.imageID, stack: $0.stack, span: $0.span) }
        }
    }

    private var threads: [pid_t: ThreadState] = [:]
    private let store: ProfileStore
    private let processes: ProcessRegistry
    private let probe: BlockedStackProbe
    private let logger: Logger
    private let threadName: (pid_t, pid_t) -> String
    private static let observationsKept = 8
    /// Off once `/proc` refused a probe: blocked time is still counted, at estimated stacks.
    private var probing = true

    /// A block shorter than this may end before any probe sees it (records are read up to a period plus the write
    /// allowance late): the kind of block an unseen one is estimated from.
    private let shortBlock: UInt64

    /// - Parameter unwind: how a blocked thread's stack is unwound (``BlockedStackProbe``); by default with the modules
    ///   the process has, which a sampler that learns them from its records keeps up to date.
    init(store: ProfileStore, processes: ProcessRegistry, stackCopySize: Int, shortBlock: Int64, logger: Logger,
         unwind: ((ThreadSnapshot, SampledProcess) -> Bool)? = nil, threadName: @escaping (pid_t, pid_t) -> String) {
        self.shortBlock = UInt64(max(0, shortBlock))
        self.store = store
        self.processes = processes
        probe = BlockedStackProbe(stackCopySize: stackCopySize, unwind: unwind ?? { [unowned processes] in processes.unwind($0, of: $1) })
        self.logger = logger
        self.threadName = threadName
    }

    /// A CPU sample of `tid` standing for `cpuTime` was counted at `stack` in `span`: where its run-queue time goes, and
    /// (ptrace) the `stopTime` the tracer held it stopped to take the sample, which its phase lasted longer by.
    func ranOnCPU(_ process: SampledProcess, tid: pid_t, stack: [UInt64], span: SpanLabels?, cpuTime: Int64, stopTime: Int64 = 0) {
        guard let imageID = process.imageID else { return }
        var thread = threads[tid] ?? ThreadState(process: process)
        thread.sampledSinceRunning += cpuTime
        // A copy of the unwinder's buffer (kept, it would be copied at the next unwind), made only when the stack moved.
        if thread.lastCPU?.imageID != imageID || thread.lastCPU?.stack != stack {
            thread.lastCPU = (imageID, stack.withUnsafeBufferPointer { Array($0) }, span)
        } else {
            thread.lastCPU?.span = span
        }
        if thread.pendingRunQueue > 0 {
            count(thread.pendingRunQueue, at: thread.lastCPUObservation(at: 0)!, of: thread, tid: tid) { $0.runQueueTime += $1 }
            thread.pendingRunQueue = 0
        }
        count(stopTime, at: thread.lastCPUObservation(at: 0)!, of: thread, tid: tid) { $0.stoppedTime += $1 }
        threads[tid] = thread
    }

    /// A context-switch record (`PERF_RECORD_SWITCH`) of `tid` at `time` (CLOCK_MONOTONIC ns).
    func switched(_ process: SampledProcess, tid: pid_t, out: Bool, preempted: Bool, time: UInt64) {
        store.recordWall { $0.switchRecords += 1 }
        // In place: copying the thread's state out of the table and back took more of the reader's time than the rest
        // of the record (BENCHMARKS.md, "Wall time").
        switched(&threads[tid, default: ThreadState(process: process)], process: process, tid: tid, out: out, preempted: preempted, time: time)
    }

    private func switched(_ thread: inout ThreadState, process: SampledProcess, tid: pid_t, out: Bool, preempted: Bool, time: UInt64) {
        thread.process = process
        close(&thread, tid: tid, at: time)
        if out {
            countUnsampledRunning(&thread, tid: tid, until: time)
            thread.state = preempted ? .preempted(since: time) : .blocked(since: time)
            thread.countedUntil = time
        } else {
            thread.state = .running
            thread.runningSince = time
            thread.sampledSinceRunning = 0
        }
    }

    /// Time on a CPU that no sample stands for counts at the stack the thread last ran: the kernel part of it when the
    /// kernel is excluded from sampling (unprivileged, `perf_event_paranoid` 2: a `clock_gettime` of a thread CPU
    /// clock is a real syscall), so that the thread's wall time still adds up to its lifetime. Counted as a balance
    /// across running intervals: where samples happen to cover more than an interval, the next ones make up for it.
    private func countUnsampledRunning(_ thread: inout ThreadState, tid: pid_t, until time: UInt64) {
        guard let since = thread.runningSince, time > since else { return }
        thread.runningSince = nil
        thread.unsampledBalance += Int64(clamping: time - since) - thread.sampledSinceRunning
        thread.sampledSinceRunning = 0
        guard thread.unsampledBalance > 0, let cpu = thread.lastCPUObservation(at: time) else { return }
        count(thread.unsampledBalance, at: cpu, of: thread, tid: tid) { $0.unsampledRunTime += $1 }
        thread.unsampledBalance = 0
    }

    /// The thread has ended at `time` (perf: its exit record; ptrace: its exit, `time` unused).
    func exited(tid: pid_t, at time: UInt64) {
        guard var thread = threads.removeValue(forKey: tid) else { return }
        close(&thread, tid: tid, at: time)
        settle(&thread, tid: tid)
        let neverSampled = thread.pendingRunQueue
        if neverSampled > 0 { store.recordWall { $0.runQueueTime += neverSampled; $0.unattributedTime += neverSampled } }
    }

    /// Probes every thread not known to be blocked where it was already seen: threads the records say are blocked
    /// since they were last probed, and those running as far as the records tell (records are read up to ~10 ms
    /// late, so a thread that blocked since is found here, before its switch-out record is applied).
    func probeThreads() {
        guard probing else { return }
        for (tid, thread) in threads {
            switch thread.state {
            case .preempted: continue
            case let .blocked(since) where thread.observations.contains(where: { observation in
                observation.time >= since && observation.incompleteAt.map { $0 == thread.process.mappings.moduleGeneration } ?? true
            }): continue
            case .blocked, .running: break
            }
            guard let observation = probeOnce(thread, tid: tid) else {
                if !probing { return }
                continue
            }
            // A thread whose switch records were lost can look running while it blocks: keep its latest probes only.
            if thread.observations.count >= Self.observationsKept { threads[tid]?.observations.removeFirst() }
            threads[tid]?.observations.append(observation)
        }
    }

    /// How often the time of threads that stay blocked is counted: well within any upload interval (≥ 1 s).
    private static let flushInterval: UInt64 = 250_000_000
    private var flushedAt: UInt64 = 0

    /// Counts, every ``flushInterval``, the blocked time of threads still blocked up to `time` (CLOCK_MONOTONIC ns), so
    /// that a thread blocked for longer than an upload interval shows in every interval's profile.
    func flushIfDue(until time: UInt64) {
        guard time >= flushedAt + Self.flushInterval else { return }
        flushedAt = time
        flush(until: time)
        flushTicks()
    }

    /// perf: counts the open intervals up to `time`, at the stack a probe read in them.
    private func flush(until time: UInt64) {
        for tid in Array(threads.keys) {
            guard var thread = threads[tid], case let .blocked(since) = thread.state, time > thread.countedUntil,
                  let seen = thread.observations.last(where: { $0.time >= since && $0.time <= time }) else { continue }
            count(Int64(clamping: time - thread.countedUntil), at: seen, of: thread, tid: tid) { $0.blockedTime += $1 }
            thread.countedUntil = time
            threads[tid] = thread
        }
    }

    /// ptrace (no switch records): the thread's `schedstat` read at this tick (or in this tick's stop, when the tracer
    /// sampled it). Between two looks the thread was blocked for the elapsed time less its CPU and run-queue times
    /// (``SchedulerStatistics``) and the time the tracer held it `stopped` between the two (neither running nor runnable:
    /// counted at the stack sampled in the stop, ``ranOnCPU(_:tid:stack:span:cpuTime:stopTime:)``). While it has not
    /// been scheduled since, it is in the block already seen and nothing is read; otherwise, unless it is on a CPU
    /// (`running`: it ran since its last sample and is on a CPU or waiting for one), its new block is probed once. A
    /// tick in which one block ended and another began gives each half its blocked time (the order within the tick is
    /// unknown); a block begun and ended between two looks counts as the short blocks perf events cannot see (the
    /// thread's latest short block, else …).
    ///
    /// The kernel adds a run-queue wait to `schedstat` only when the thread gets the CPU, and CPU time at its scheduler
    /// ticks: a look at a runnable thread misses the wait so far, which shows as blocked in that look and as a surplus
    /// in a later one. So the time is kept per thread as a signed balance, and counted as blocked only at a look that
    /// finds the thread off the CPU (then `schedstat` is up to date); a thread found runnable (`isRunnable`, state `R`,
    /// read only when it was neither running nor seen blocked) keeps its balance until then. A busy thread under load
    /// is never counted blocked for waiting; a thread that ends while runnable leaves its balance uncounted but for the
    /// block it left (``exited(tid:at:)``).
    ///
    /// A thread sampled in this tick's stop and in the previous one, whose only voluntary switch since (`voluntarySwitches`,
    /// read in the stops) was this stop, has not blocked in between: its residue is time the tracer held it stopped beyond
    /// what the tracer could time (a tracer preempted before its `PTRACE_CONT` took effect), counted where it was sampled.
    func ticked(_ process: SampledProcess, tid: pid_t, statistics: SchedulerStatistics, stopped: Int64, voluntarySwitches: Int64?,
                at time: UInt64, running: Bool, isRunnable: () -> Bool) {
        var thread = threads[tid] ?? ThreadState(process: process)
        defer { threads[tid] = thread }
        thread.process = process
        guard let last = thread.lastLook, time > last.time else {
            thread.lastLook = (statistics, voluntarySwitches, time)
            return
        }
        thread.lastLook = (statistics, voluntarySwitches, time)
        let runQueue = max(0, statistics.waitTime - last.statistics.waitTime)
        var residue = Int64(clamping: time - last.time) - max(0, statistics.runTime - last.statistics.runTime) - runQueue - stopped
        countRunQueue(runQueue, of: &thread, tid: tid, at: time)
        if residue > 0, let switches = voluntarySwitches, let previous = last.voluntarySwitches, switches - previous == 1,
           let cpu = thread.lastCPUObservation(at: time) {
            count(residue, at: cpu, of: thread, tid: tid) { $0.stoppedTime += $1 }
            residue = 0
        }
        thread.unsettled += residue
        // Not scheduled since: still in its block (or woken and waiting for a CPU, taken back once it runs).
        guard statistics.timesScheduled != last.statistics.timesScheduled || thread.currentBlock == nil else { return }
        let ended = thread.currentBlock
        thread.currentBlock = nil
        var observed: Observation?
        if !running, probing, let observation = probeOnce(thread, tid: tid) {
            observed = observation
            thread.lastBlocked = observation
            store.recordWall { $0.blockedIntervals += 1; $0.observedIntervals += 1 }
        }
        if observed == nil, running || isRunnable() {
            if let ended { thread.leftBlock = ended }
            return
        }
        // Off the CPU: the balance is blocked time, of the block that ended (in this tick, or before the thread was
        // last found runnable) and of the new one, which gets half of this tick's share when a block also ended in the
        // tick, all of it when the thread ran between (less any surplus), and all the balance when no block came before.
        let earlier = ended ?? thread.leftBlock
        thread.leftBlock = nil
        let total = thread.unsettled
        var forNew: Int64 = 0
        if observed != nil {
            forNew = earlier == nil ? total : ended != nil ? residue - residue / 2 : residue
            forNew = min(max(0, forNew), max(0, total))
        }
        let forEarlier = total - forNew
        if forEarlier > 0 {
            if let earlier {
                count(forEarlier, at: earlier, of: thread, tid: tid) { $0.blockedTime += $1 }
            } else {
                countUnseenBlock(forEarlier, of: thread, tid: tid, at: time)
            }
            thread.unsettled = forNew
        }
        thread.currentBlock = observed
    }

    /// ptrace: counts the blocked time gathered tick by tick in each thread's current block (one addition per
    /// block per flush, not per tick: an idle pool of a thousand threads costs a thousand additions per flush).
    private func flushTicks() {
        for tid in Array(threads.keys) where threads[tid]?.unsettled ?? 0 > 0 && threads[tid]?.currentBlock != nil {
            settle(&threads[tid]!, tid: tid)
        }
    }

    /// Counts the thread's balance at the block it is in, or (it ends) at the block it left before it was last found
    /// runnable: the end of that block, and at most the run-queue wait it was in then.
    private func settle(_ thread: inout ThreadState, tid: pid_t) {
        guard let block = thread.currentBlock ?? thread.leftBlock, thread.unsettled > 0 else { return }
        count(thread.unsettled, at: block, of: thread, tid: tid) { $0.blockedTime += $1 }
        thread.unsettled = 0
    }

    /// One probe of a thread that is off the CPU; `nil` when it is not (or the read failed, or `/proc` refused).
    private func probeOnce(_ thread: ThreadState, tid: pid_t) -> Observation? {
        switch probe.observe(thread.process, tid: tid) {
        case let .observed(time, complete, span):
            store.recordWall { $0.probes += 1 }
            guard let imageID = thread.process.imageID else { return nil }
            return Observation(time: time, imageID: imageID, stack: processes.frames.withUnsafeBufferPointer { Array($0) }, span: span,
                               incompleteAt: complete ? nil : thread.process.mappings.moduleGeneration)
        case .notBlocked:
            store.recordWall { $0.probesFailed += 1 }
            return nil
        case let .refused(error):
            refused(error, pid: thread.process.pid, tid: tid)
            return nil
        }
    }

    private func refused(_ error: Int32, pid: pid_t, tid: pid_t) {
        probing = false
        logger.warning("wall: cannot read /proc/\(pid)/task/\(tid)/syscall (\(String(cString: strerror(error))): a process of another user, non-dumpable, or ptrace restrictions): off-CPU stacks are not recorded, only their time; run as the same user without hidepid, or set kernel.yama.ptrace_scope ≤ 1")
    }

    /// Sampling has ended at `time`: open intervals close there.
    func finish(at time: UInt64) {
        for tid in Array(threads.keys) { exited(tid: tid, at: time) }
    }

    /// Ends the thread's current off-CPU interval (if any) at `time` and counts it.
    private func close(_ thread: inout ThreadState, tid: pid_t, at time: UInt64) {
        switch thread.state {
        case .running:
            return
        case let .preempted(since):
            guard time > since else { break }
            countRunQueue(Int64(clamping: time - since), of: &thread, tid: tid, at: since)
        case let .blocked(since):
            let duration = Int64(clamping: time > thread.countedUntil ? time - thread.countedUntil : 0)
            let seen = thread.observations.last { $0.time >= since && $0.time <= time }
            thread.observations.removeAll { $0.time <= time }
            if let seen {
                thread.lastBlocked = seen
                if time - since < shortBlock { thread.lastShortBlocked = seen }
                count(duration, at: seen, of: thread, tid: tid) { $0.blockedTime += $1; $0.blockedIntervals += 1; $0.observedIntervals += 1 }
            } else {
                countUnseenBlock(duration, of: thread, tid: tid, at: since)
            }
        }
        thread.state = .running
    }

    /// Run-queue time counts at the stack the thread last ran; before its first sample (a busy machine), at the
    /// stack that sample finds (``ranOnCPU(_:tid:stack:cpuTime:)``).
    private func countRunQueue(_ duration: Int64, of thread: inout ThreadState, tid: pid_t, at time: UInt64) {
        guard duration > 0 else { return }
        if let cpu = thread.lastCPUObservation(at: time) {
            count(duration, at: cpu, of: thread, tid: tid) { $0.runQueueTime += $1 }
        } else {
            thread.pendingRunQueue += duration
        }
    }

    /// A block no probe saw counts at the thread's latest short block, else its latest block, else the stack it last
    /// ran (an estimate); a thread with none of them has its time counted in no stack.
    private func countUnseenBlock(_ duration: Int64, of thread: ThreadState, tid: pid_t, at time: UInt64) {
        if let estimate = thread.lastShortBlocked ?? thread.lastBlocked ?? thread.lastCPUObservation(at: time) {
            count(duration, at: estimate, of: thread, tid: tid) { $0.blockedTime += $1; $0.blockedIntervals += 1; $0.estimatedTime += $1 }
        } else {
            store.recordWall { $0.blockedTime += duration; $0.blockedIntervals += 1; $0.unattributedTime += duration }
        }
    }

    private func count(_ duration: Int64, at observation: Observation, of thread: ThreadState, tid: pid_t,
                       update: (inout WallStatistics, Int64) -> Void) {
        guard duration > 0 else { return }
        let pid = thread.process.pid
        store.addOffCPU(stack: observation.stack, nanoseconds: duration, imageID: observation.imageID, tid: tid,
                        span: observation.span, threadName: { threadName(pid, tid) }, update: { update(&$0, duration) })
    }
}
