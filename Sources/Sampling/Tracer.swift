import Binaries
import Glibc
import Logging
import ProcessLaunch
import SafeText
import Unwinding

/// The one thread that traces the child's process tree: every `ptrace` request and every `waitpid` on a
/// tracee happens here (ptrace requests must come from the thread that attached).
///
/// Between samples it waits for tracee events (new threads and processes, execs, signals, job control,
/// exits) and resumes every stop at once; on each tick it stops each running thread just long enough to
/// copy its registers and stack top, then unwinds the copies while the threads run.
final class Tracer: Sampler {
    private let rootPID: pid_t
    private let options: SamplingOptions
    private let store: ProfileStore
    private let logger: Logger
    private var threads: [pid_t: TracedThread] = [:]
    private let processes: ProcessRegistry
    private var rootTermination: ChildTermination?
    private var budget = StopBudget()
    /// Threads that were due on the last tick: what each tick skipped since would have sampled.
    private var lastDue = 0
    /// Whether a program exec'd under tracing keeps what its exec grants (read once: it cannot change).
    private let tracingKeepsPrivileges = OwnPrivileges.canTraceWithPrivileges
    /// Privileged programs already said to have run without their privilege.
    private var privilegesLost: Set<String> = []
    /// New threads that reported their first stop before their creator's clone/fork event did, and ended
    /// before it came: the event must not adopt (and count) them a second time.
    private var endedBeforeAnnounced: Set<pid_t> = []
    /// Where threads spend their time off the CPU (`--wall`), from their `schedstat` at each tick.
    private var wall: WallRecorder?
    /// Where a stopped thread's `status` is read (``TracedThread/voluntarySwitches(buffer:)``), with `--wall`.
    private var statusBuffer = [UInt8](repeating: 0, count: 4096)

    /// How often a process's maps may be re-read when its stacks reach code outside the known modules
    /// (a fresh process still loading its libraries, or a `dlopen`); reading costs about 100 µs.
    private static let modulesRefreshInterval: Int64 = 10_000_000

    /// Attaches to the (still gated) child, from the thread that will run the tracer.
    init(rootPID: pid_t, options: SamplingOptions, store: ProfileStore, logger: Logger) throws(ProfilerError) {
        self.rootPID = rootPID
        self.options = options
        self.store = store
        self.logger = logger
        processes = ProcessRegistry(store: store, maximumFrames: options.maximumFrames)
        let error = Ptrace.seize(rootPID)
        guard error == 0 else { throw .seizeFailed(errno: error) }
        if options.wall {
            wall = WallRecorder(store: store, processes: processes, stackCopySize: options.stackCopySize, shortBlock: options.period,
                                logger: logger, unwind: { [unowned self] in unwind($0, of: $1) }) { [unowned self] _, tid in threads[tid]?.name ?? "" }
        }
        adopt(rootPID).isAnnounced = true
    }

    /// Traces until the root child terminates, detaches from whatever it left running, and reports how it ended.
    ///
    /// Between ticks the tracer blocks in `waitpid`, so every tracee event is handled as it happens; the
    /// ``Ticker`` interrupts the wait when a sample is due.
    func run() -> ChildTermination {
        let ticker = Ticker(period: options.period, jitter: options.jitter)
        while rootTermination == nil {
            if ticker.takeTick() {
                let missed = ticker.takeMissedTicks()
                // Each skipped tick would have sampled about the threads the last one found due.
                recordMissed(missed * lastDue)
                let started = Clock.threadCPU()
                let stopped = sampleThreadsThatRan()
                let now = Clock.threadCPU()
                budget.update(stopped: stopped, tracerCPUTime: now - started, period: options.period)
                store.recordTracerCPUTime(now)
                forgetGoneProcesses()
                continue
            }
            var status: Int32 = 0
            let pid = waitpid(-1, &status, __WALL)
            if pid > 0 {
                handle(pid, WaitStatus(raw: status))
            } else if errno != EINTR {
                break
            }
        }
        ticker.stop()
        wall?.finish(at: UInt64(clamping: Clock.monotonic()))
        detachAll()
        store.recordTracerCPUTime(Clock.threadCPU())
        processes.finish()
        return rootTermination ?? .exited(code: 125)
    }

    private func recordMissed(_ count: Int) {
        if let warning = store.recordMissed(count) { logger.warning("\(warning)") }
    }

    // MARK: Events

    /// Resumes a reported stop the way an untraced process would have continued, or forgets an exited thread.
    private func handle(_ tid: pid_t, _ status: WaitStatus) {
        if status.isTermination {
            exited(tid, status)
            return
        }
        guard status.isStopped else { return }
        let thread = threads[tid] ?? adopt(tid)
        if status.isGroupStop {
            // Job control: stay stopped until SIGCONT, as without tracing, but keep reporting.
            thread.isListening = Ptrace.listen(tid) == 0
            return
        }
        thread.isListening = false
        switch status.event {
        case 0:
            _ = Ptrace.cont(tid, signal: status.stopSignal)
            return
        case WaitStatus.execEvent:
            if let former = Ptrace.eventMessage(tid).map({ pid_t(truncatingIfNeeded: $0) }), former != tid {
                thread.took(over: threads[former])
                threads[former] = nil
                thread.process.threads.remove(former)
                // The tid is another task's now: its `schedstat` and switch counts are not the old leader's.
                let now = UInt64(clamping: Clock.monotonic())
                wall?.exited(tid: former, at: now)
                wall?.exited(tid: tid, at: now)
            }
            processes.execed(thread.process)
            sayIfPrivilegeLost(thread.process.pid)
        case let event where WaitStatus.newTaskEvents.contains(event):
            if let child = Ptrace.eventMessage(tid).map({ pid_t(truncatingIfNeeded: $0) }),
               endedBeforeAnnounced.remove(child) == nil {
                (threads[child] ?? adopt(child)).isAnnounced = true
            }
        default:
            break
        }
        _ = Ptrace.cont(tid)
    }

    /// A descendant exec'd a privileged program, which the kernel has just run without its privilege: that
    /// cannot be undone (the kernel decides at the exec, before any event), but it is said, once per program.
    private func sayIfPrivilegeLost(_ pid: pid_t) {
        // (`executablePath` falls back to the command name, not a path, once the process is gone.)
        let path = ProcessMaps.executablePath(pid: pid)
        guard !tracingKeepsPrivileges, path.hasPrefix("/"), let program = PrivilegedExecutable(path: path),
              privilegesLost.insert(program.path).inserted
        else { return }
        logger.warning("ptrace: \(ShownText.value(program.path)) (\(program.grants.joined(separator: ", "))) runs without its privilege: the kernel ignores it for a program traced without CAP_SYS_PTRACE (--sampler perf-event keeps it, and takes no samples of it)")
    }

    /// Starts following a new tracee (auto-attached by a clone, fork or vfork, or the root child).
    @discardableResult
    private func adopt(_ tid: pid_t) -> TracedThread {
        let pid = threadGroup(of: tid)
        let process: SampledProcess
        if let known = processes[pid] {
            process = known
        } else {
            process = SampledProcess(pid: pid, threads: [])
            process.isBeforeExec = pid == rootPID
            processes.add(process)
        }
        process.threads.insert(tid)
        let thread = TracedThread(tid: tid, process: process, stackCapacity: options.stackCopySize)
        threads[tid] = thread
        store.recordThreadSeen()
        return thread
    }

    private func threadGroup(of tid: pid_t) -> pid_t {
        let status = ProcFile.read("/proc/\(tid)/status") ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Tgid:") }
        return line.flatMap { pid_t($0.dropFirst(5).trimmingWhitespace()) } ?? tid
    }

    private func exited(_ tid: pid_t, _ status: WaitStatus) {
        if tid == rootPID, let termination = ChildTermination(waitStatus: status.raw) {
            rootTermination = termination
            CrashGuard.childTerminated(termination)
        }
        guard let thread = threads.removeValue(forKey: tid) else { return }
        wall?.exited(tid: tid, at: UInt64(clamping: Clock.monotonic()))
        if !thread.isAnnounced { endedBeforeAnnounced.insert(tid) }
        let process = thread.process
        process.threads.remove(tid)
        if process.threads.isEmpty { processes.exited(process.pid) }
    }

    /// Processes gone without their exits reported (``ProcessRegistry/forgetGone(now:appliedUntil:)``): each sample
    /// is applied at its stop, so they go at once, with their threads.
    private func forgetGoneProcesses() {
        let forgotten = processes.forgetGone(now: Clock.monotonic(), appliedUntil: .max)
        guard !forgotten.isEmpty else { return }
        for tid in forgotten.flatMap(\.threads) where threads.removeValue(forKey: tid) != nil {
            wall?.exited(tid: tid, at: UInt64(clamping: Clock.monotonic()))
        }
        logger.debug("ptrace: \(forgotten.count) processes gone without their exits reported forgotten, \(processes.count) held")
    }

    // MARK: Sampling

    /// Interrupts every thread that used CPU since its previous sample and is on a CPU or waiting for one
    /// (``TracedThread/isDue(_:)``; at most ``StopBudget/limit`` of them, those that used the most), then
    /// samples each at the first stop it reports; returns how many were stopped.
    ///
    /// A thread that used no CPU since its previous sample is neither stopped nor counted: it was blocked, or
    /// waiting for a CPU the whole time. Each sample stands for the CPU time its thread used since its
    /// previous sample, so a thread waiting for a CPU half the time counts half, however often it is stopped,
    /// and a thread that ran and then blocked has its CPU time counted at its next sample while running.
    ///
    /// Interrupting all before waiting lets the threads stop in parallel: a thread that was runnable but
    /// waiting for a CPU reports only once scheduled, and must not hold up the others. Any ptrace stop
    /// clears a pending interrupt, so the first stop a thread reports is the one to sample and resume:
    /// our interrupt, a signal delivery or an event. Only a group stop (left stopped) and an exec (a new
    /// program whose modules are not read yet) are not sampled.
    private func sampleThreadsThatRan() -> Int {
        var due: [(thread: TracedThread, statistics: SchedulerStatistics, at: UInt64)] = []
        var looked: [(thread: TracedThread, statistics: SchedulerStatistics, at: UInt64, stopped: Int64, running: Bool)] = []
        // With `--wall`, a sampled thread's `schedstat` read in its stop: off the CPU, so up to date, unlike a look at a
        // thread on a CPU or waiting for one (`WallRecorder.ticked`), with how long it had been held stopped by then.
        var stopLooks: [pid_t: (statistics: SchedulerStatistics, at: UInt64, stopped: Int64, voluntarySwitches: Int64?)] = [:]
        let now = UInt64(clamping: Clock.monotonic())
        for thread in threads.values where !thread.isListening && !thread.process.isBeforeExec {
            guard let statistics = thread.schedulerStatistics() else { continue }
            // Each thread's own moment: a tracer descheduled between threads would otherwise date late readings early.
            let at = wall == nil ? now : UInt64(clamping: Clock.monotonic())
            let running = statistics.runTime > thread.sampledCPUTime && thread.isRunning()
            // The stops of earlier ticks fall between the previous look and this one; this tick's, in the next.
            if wall != nil { looked.append((thread, statistics, at, thread.takeStoppedTime(), running)) }
            guard running, thread.isDue(statistics) else { continue }
            due.append((thread, statistics, at))
        }
        // With `--wall`, the tick's blocked and run-queue time of every thread, after this tick's samples (the stacks
        // they ran); a blocked thread is only read through /proc, never interrupted (that would restart its syscall).
        defer {
            for (thread, statistics, at, stopped, running) in looked where threads[thread.tid] === thread {
                let look = stopLooks[thread.tid] ?? (statistics, at, 0, nil)
                wall?.ticked(thread.process, tid: thread.tid, statistics: look.statistics, stopped: stopped + look.stopped,
                             voluntarySwitches: look.voluntarySwitches, at: look.at,
                             running: running, isRunnable: thread.isRunning)
            }
            wall?.flushIfDue(until: now)
        }
        lastDue = due.count
        if due.count > budget.limit {
            due.sort { $0.statistics.runTime - $0.thread.sampledCPUTime > $1.statistics.runTime - $1.thread.sampledCPUTime }
            recordMissed(due.count - budget.limit)
            due.removeLast(due.count - budget.limit)
        }
        var interrupted: [pid_t: (started: Int64, look: SchedulerStatistics, lookedAt: UInt64)] = [:]
        for (thread, statistics, at) in due {
            let started = Clock.monotonic()
            if Ptrace.interrupt(thread.tid) == 0 {
                interrupted[thread.tid] = (started, statistics, at)
            } else {
                store.recordLost()
            }
        }
        let stopped = interrupted.count
        var sampled: [TracedThread] = []
        while !interrupted.isEmpty {
            var raw: Int32 = 0
            let tid = waitpid(-1, &raw, __WALL)
            guard tid > 0 else {
                if errno == EINTR { continue }
                store.recordLost(interrupted.count)
                break
            }
            let status = WaitStatus(raw: raw)
            // A thread that execs takes its leader's tid and never reports under its own again.
            defer { interrupted = interrupted.filter { threads[$0.key] != nil } }
            guard let (started, look, lookedAt) = interrupted.removeValue(forKey: tid), let thread = threads[tid] else {
                handle(tid, status)
                continue
            }
            let captured = status.isStopped && !status.isGroupStop && status.event != WaitStatus.execEvent
                && thread.capture(look: look)
            var stoppedSince = started
            var heldBeforeLook: Int64 = 0
            if captured, wall != nil, let statistics = thread.schedulerStatistics() {
                stoppedSince = Clock.monotonic()
                // A thread not put on a CPU anew since the tick's look never left it until its stop: what is not its run
                // time since then is the hold (a tracer slow to reap the stop, on a loaded machine, holds it for
                // milliseconds, which its phase lasted longer by). Otherwise it waited or blocked in between, and
                // `WallRecorder` sorts the rest out. The run time of a thread on a CPU lags by up to a scheduler tick, so
                // this is at most the hold, never CPU time counted twice.
                if statistics.timesScheduled == look.timesScheduled {
                    heldBeforeLook = max(0, stoppedSince - Int64(clamping: lookedAt) - (statistics.runTime - look.runTime))
                }
                stopLooks[tid] = (statistics, UInt64(clamping: stoppedSince), heldBeforeLook, thread.voluntarySwitches(buffer: &statusBuffer))
            }
            // Timed before the resume: a resumed thread can take the tracer's CPU at once, and a wait for one is in its
            // `schedstat`; timed after, that preemption counted as held (140 ms of 3 s at 1 kHz, debug build).
            let heldAfterLook = max(0, Clock.monotonic() - stoppedSince)
            thread.addStoppedTime(heldAfterLook)
            handle(tid, status)
            if captured {
                store.recordStoppedTime(Clock.monotonic() - started)
                thread.snapshotStopTime = wall == nil ? 0 : heldBeforeLook + heldAfterLook
                sampled.append(thread)
            } else if !status.isGroupStop {
                store.recordLost()
            }
        }
        for thread in sampled where thread.hasSnapshot {
            thread.hasSnapshot = false
            unwindAndStore(thread)
        }
        return stopped
    }

    private func unwindAndStore(_ thread: TracedThread) {
        let process = thread.process
        unwind(thread.snapshot, of: process)
        processes.storeStack(of: process, tid: thread.tid, cpuTime: thread.snapshotCPUTime, time: Clock.wall(), span: thread.snapshotSpan) { thread.name }
        wall?.ranOnCPU(process, tid: thread.tid, stack: processes.frames, span: thread.snapshotSpan, cpuTime: thread.snapshotCPUTime,
                       stopTime: thread.snapshotStopTime)
    }

    /// Unwinds `snapshot` of `process`, reading its mappings first when it has none and again (at most every
    /// ``modulesRefreshInterval``) when a frame lies outside them: a sample, or a blocked thread's stack (`--wall`), whose
    /// process mapped code since. `false` when a frame still does.
    @discardableResult
    private func unwind(_ snapshot: ThreadSnapshot, of process: SampledProcess) -> Bool {
        if process.unwinder == nil { readMappings(of: process) }
        guard !processes.unwind(snapshot, of: process) else { return true }
        guard Clock.monotonic() - process.mappingsReadAt > Self.modulesRefreshInterval, readMappings(of: process) else { return false }
        return processes.unwind(snapshot, of: process)
    }

    /// Reads the process's mappings from `/proc`; `false` when there are none to read.
    ///
    /// A process that is exiting (or gone) has no mappings left: its modules are kept, or the image's every
    /// sample, taken before, would be symbolized against nothing.
    @discardableResult
    private func readMappings(of process: SampledProcess) -> Bool {
        let mappings = ProcessMaps.read(pid: process.pid)
        process.mappingsReadAt = Clock.monotonic()
        guard !mappings.isEmpty else { return false }
        process.remapped(mappings)
        return true
    }

    // MARK: Detaching

    /// Lets every remaining tracee go, each from a stop, re-delivering a signal caught in its stop and
    /// leaving job-control stops stopped, as they would be without tracing.
    private func detachAll() {
        var remaining = Array(threads.keys)
        threads = [:]
        while let tid = remaining.popLast() {
            guard Ptrace.interrupt(tid) == 0 else { continue }
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(tid, &raw, __WALL) } while result < 0 && errno == EINTR
            let status = WaitStatus(raw: raw)
            guard result == tid, status.isStopped else { continue }
            if WaitStatus.newTaskEvents.contains(status.event), let child = Ptrace.eventMessage(tid) {
                remaining.append(pid_t(truncatingIfNeeded: child))
            }
            _ = Ptrace.detach(tid, signal: status.event == 0 ? status.stopSignal : 0)
        }
    }
}
