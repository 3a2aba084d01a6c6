import Binaries
import Glibc
import Logging
import ProcessLaunch
import Profiles
import Synchronization
import Unwinding

/// Turns what the kernel sampled (``PerfEventSet``) into stacks in the ``ProfileStore``, on the profiler's
/// thread, while the child runs.
///
/// Records from the per-CPU buffers are merged by time before they are applied, so a sample is unwound
/// with the mappings its process had when it was taken: after the fork that created it, before the exec
/// that replaced its program.
final class PerfSampler: Sampler {
    private let events: PerfEventSet
    private let rootPID: pid_t
    private let options: SamplingOptions
    private let store: ProfileStore
    private let logger: Logger
    private let processes: ProcessRegistry
    private var threadNames: [pid_t: String] = [:]
    /// The names of threads whose exit record came, with its time: by cgroup the kernel can still sample a thread after
    /// its exit record (the cgroup's event runs while `do_exit` finishes), when `/proc` has no name left to read. Kept
    /// until every record up to a write allowance after the exit is applied.
    private var exitedThreadNames: [pid_t: (name: String, exitedAt: UInt64)] = [:]
    private let snapshot: ThreadSnapshot
    private let wallClock = WallClockOffset()
    /// Side-band records the kernel dropped from full buffers so far (`PERF_RECORD_LOST` in a side-band buffer).
    private var recordsLost = 0
    /// Per buffer (``PerfEventSet/buffers``), the time of the latest record applied from it: where a loss began at the
    /// earliest.
    private var latestTimes: [UInt64]
    /// Processes that exited, until a fork reuses their pid (so at most `pid_max` of them). Sampled by cgroup, a
    /// process is still sampled in its exit path after its exit record (the kernel writes that in
    /// `perf_event_exit_task`, before `cgroup_exit` takes the task out of the cgroup): such a sample must not bring
    /// the process back, to be counted twice (`countsEachProcessOfAForkBurstOnce`: 302 processes for 301). Each with
    /// the image its samples went to, where such a sample goes too (``KernelFrame``); `nil` if it took none.
    private var exitedPIDs: [pid_t: Int?] = [:]
    /// The span each sample's thread was in when the sample was first seen, until the sample is applied.
    private var spansSeen: [SampleKey: SpanLabels] = [:]
    /// Reads each sample's span in the sample's own interrupt (``KernelSpanReader``), where the kernel allows it; set
    /// up when a process first publishes its spans, by cgroup only: an event inherited per task before the program
    /// was attached would not run it. Without it the reader reads spans from outside (``readSpans()``).
    private var kernelSpans: KernelSpanReader?
    private var kernelSpansTried = false
    /// Processes whose thread-context location the kernel program has not been given yet (a TLSDESC descriptor the
    /// dynamic linker has not resolved).
    private var unpublishedLocations: [SampledProcess] = []
    /// Whether the records applied since the last pass started a program (``read(until:)``).
    private var startedProcesses = false
    /// Per sample buffer, how far its records were seen for their spans (``PerfRingBuffer/visit(after:_:)``).
    private var seen: [UInt64]
    private struct SampleKey: Hashable {
        var tid: pid_t
        var time: UInt64
    }
    /// The reader's cadence without `--wall`, in milliseconds (``passInterval(bufferCapacity:stackCopySize:rate:)``).
    private let passInterval: Int32
    /// Where threads spend their time off the CPU (`--wall`), when the kernel writes context-switch records.
    private var wall: WallRecorder?
    /// The time of the latest record applied: where intervals still open at the end close.
    private var latestRecordTime: UInt64 = 0
    /// The period, drawn anew every few dozen samples so that sampling does not lock step with a periodic workload:
    /// by cgroup one schedule per CPU's event, each on the CPU time sampled there (``drawPeriods(now:)``); per task one
    /// for the first thread's events.
    private var jitters: [PeriodJitter]
    /// When sampling started (CLOCK_MONOTONIC ns), and the CPU time the samples applied since stand for, per schedule.
    private let startTime: UInt64
    private var sampledCPUTimes: [UInt64]
    /// Closed when the child has exited: the reader then drains what is left and stops.
    private let stopPipe: (read: Int32, write: Int32)

    /// Opens the events on the gated child `rootPID`: they start counting at its `exec`. By cgroup where allowed
    /// (`byCgroup`, ``SamplingCgroup``), else per task.
    init(rootPID: pid_t, options: SamplingOptions, byCgroup: Bool, store: ProfileStore, logger: Logger) throws(ProfilerError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw .perfEventFailed(errno: errno) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        startTime = UInt64(Clock.monotonic())
        let jitter = PeriodJitter(rate: options.rate, now: startTime)
        do {
            events = try PerfEventSet.open(pid: rootPID, options: options, period: jitter.initialPeriod, byCgroup: byCgroup, logger: logger)
        } catch {
            close(descriptors[0])
            close(descriptors[1])
            throw error
        }
        stopPipe = (descriptors[0], descriptors[1])
        passInterval = Self.passInterval(bufferCapacity: events.sampleBuffers.map(\.capacity).min()!,
                                         stackCopySize: options.stackCopySize, rate: options.rate)
        seen = events.sampleBuffers.map { _ in 0 }
        let (cpus, start, initialPeriod) = (events.sampleBuffers.count, startTime, jitter.initialPeriod)
        jitters = events.cgroup == nil ? [jitter] : (0..<cpus).map { _ in PeriodJitter(rate: options.rate, now: start, period: initialPeriod) }
        sampledCPUTimes = Array(repeating: 0, count: jitters.count)
        latestTimes = Array(repeating: startTime, count: events.buffers.count)
        self.rootPID = rootPID
        self.options = options
        self.store = store
        self.logger = logger
        processes = ProcessRegistry(store: store, maximumFrames: options.maximumFrames)
        snapshot = ThreadSnapshot(stackCapacity: 0)
        processes.threadContextMade = { [unowned self] process in
            // Published at once where the program runs already: its samples from now on are read in the interrupt.
            if let kernelSpans, let location = process.threadContext?.kernelLocation {
                kernelSpans.publish(process.pid, location: location)
            } else if !kernelSpansTried || kernelSpans != nil {
                unpublishedLocations.append(process)
            }
        }
        processes.add(SampledProcess(pid: rootPID, threads: [rootPID]))
        store.recordThreadSeen()
        if options.wall {
            if events.recordsSwitches {
                wall = WallRecorder(store: store, processes: processes, stackCopySize: options.stackCopySize,
                                    shortBlock: options.period + Self.writeAllowance, logger: logger) { [unowned self] pid, tid in
                    threadName(pid: pid, tid: tid)
                }
            } else {
                store.dropWall()
                logger.warning("wall: the kernel refuses context-switch records (perf_event_attr.context_switch, Linux 4.3 or later): --wall is dropped; the CPU profile is unaffected (--sampler ptrace records wall time without them)")
            }
        }
    }

    /// Reads records as the buffers fill until the child has exited, then reads what is left.
    func run() -> ChildTermination {
        let termination = Mutex<ChildTermination?>(nil)
        let (readEnd, writeEnd, rootPID) = (stopPipe.read, stopPipe.write, rootPID)
        Task.detached {
            let ended = await ChildWaiter.wait(pid: rootPID)
            termination.withLock { $0 = ended }
            close(writeEnd)
        }
        read(until: readEnd)
        close(readEnd)
        events.cgroup?.remove(logger: logger)
        return termination.withLock { $0 } ?? .exited(code: 125)
    }

    /// Until a process publishes its spans, the reader looks at the buffers whenever the fastest-filling can have
    /// filled what ``passInterval`` allows, and only the stop pipe wakes it sooner; from then on, unless the kernel reads
    /// each span in its sample's interrupt (``kernelSpans``), it listens to the buffers, which wake it at every
    /// sample (``PerfEventSet``), so that each span is read right after its sample (``readSpans()``).
    ///
    /// Such a wake-up reads the new samples' spans and nothing else: draining, unwinding, forgetting gone processes,
    /// `--wall`'s probes and the reader's own CPU time stay at the cadence of a reader that does not listen (a pass
    /// interval, or with `--wall` a period), done by whichever wake-up comes due. A wake-up per sample cost the
    /// reader those passes at every sample, with its caches cold after each switch (BENCHMARKS.md, "Thread context
    /// reading").
    private func read(until stopDescriptor: Int32) {
        var descriptors = [pollfd(fd: stopDescriptor, events: Int16(POLLIN), revents: 0)]
            + events.buffers.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        var stopping = false
        var prioritized = false
        // With `--wall`, blocked threads are looked at every period, to read their stacks while they still wait.
        let passInterval = wall != nil ? Int64(max(1, options.period / 1_000_000)) : Int64(passInterval)
        var nextPass = Clock.monotonic()
        var passes = 0
        while !stopping {
            let listening = processes.publishesThreadContext && kernelSpans == nil
            if listening && !prioritized {
                prioritized = true
                Self.prioritizeReader(logger: logger)
            }
            let polled = listening ? descriptors.count : 1
            let timeout = Int32(clamping: max(1, (nextPass - Clock.monotonic() + 999_999) / 1_000_000))
            if poll(&descriptors, nfds_t(polled), timeout) > 0 {
                stopping = descriptors[0].revents != 0
                // A buffer whose task tree has exited reports POLLHUP on every poll: stop polling it.
                for index in descriptors.indices[1..<polled] where descriptors[index].revents & Int16(POLLHUP) != 0 {
                    descriptors[index].fd = -1
                }
            }
            let now = Clock.monotonic()
            if !stopping { drawPeriods(now: UInt64(now)) }
            guard stopping || now >= nextPass else {
                readSpans()
                continue
            }
            // A process's spans are read from its samples on only once a pass has applied one (its modules read then),
            // a write allowance after it was taken: the first passes, and with spans read in the interrupt a pass after
            // one that saw a process start, come that soon, instead of a pass interval (up to 100 ms) later.
            passes += 1
            let soon = passes <= 3 || (startedProcesses && kernelSpans != nil)
            startedProcesses = false
            nextPass = now + (soon ? min(passInterval, Self.writeAllowance / 1_000_000 + 5) : passInterval) * 1_000_000
            let cutoff = now - Self.writeAllowance
            drain(takenBefore: stopping ? .max : UInt64(max(0, cutoff)))
            kernelSpans?.forgetEntries(before: UInt64(max(0, cutoff)))
            if !stopping { forgetGoneProcesses(now: now, appliedUntil: cutoff) }
            if !exitedThreadNames.isEmpty {
                exitedThreadNames = exitedThreadNames.filter { $0.value.exitedAt + UInt64(Self.writeAllowance) >= UInt64(max(0, cutoff)) }
            }
            for index in jitters.indices { jitters[index].forget(before: latestRecordTime) }
            if let wall, !stopping {
                wall.probeThreads()
                wall.flushIfDue(until: UInt64(max(0, cutoff)))
            }
            store.recordTracerCPUTime(Clock.threadCPU())
        }
        if prioritized {
            var normal = sched_param(sched_priority: 0)
            _ = sched_setscheduler(0, SCHED_OTHER, &normal)
        }
        wall?.finish(at: latestRecordTime)
        processes.finish()
    }

    /// Attaches the kernel program to the sampling events once a process publishes its spans (``kernelSpans``).
    private func setUpKernelSpans() {
        kernelSpansTried = true
        if events.cgroup != nil {
            let samplesHeld = events.sampleBuffers.map(\.capacity).reduce(0, +) / (options.stackCopySize + 512)
            kernelSpans = KernelSpanReader(events: events.sampleBuffers.map(\.descriptor), samplesHeld: samplesHeld,
                                           rate: options.rate, logger: logger)
            if kernelSpans != nil { logger.debug("spans: read in each sample's interrupt by an eBPF program") }
        }
        if kernelSpans == nil { unpublishedLocations = [] }
    }

    /// Sets a new period on the events whose draw is due (``PeriodJitter``).
    ///
    /// By cgroup each CPU's event has a schedule of its own, on the CPU time sampled on that CPU. A period set on an
    /// event of another CPU is a call the kernel makes on that CPU and waits for (an IPI, `smp_call_function_single`,
    /// 30–80 µs on this VM), and it restarts that event's count. One schedule for all CPUs drew on every CPU each time
    /// the CPU time of all of them came to 16–48 periods, at most once a pass: 16–21 % of the reader's CPU with 2 busy
    /// CPUs at 1 kHz; on 16 busy CPUs 15 IPIs per draw, and with `--wall` (a pass every period) each event's count
    /// restarted every 1–3 of its own periods (BENCHMARKS.md).
    ///
    /// The clock: per task, wall time; by cgroup, the CPU time sampled on the event's CPU. A draw restarts the count
    /// of a CPU where the command is not running at whichever thread runs there next: when that is a new process, its
    /// first period goes unsampled, as with inherited events. Draws on wall time came the more often per process the
    /// longer processes waited for a CPU, and on a loaded machine took `workload startup`'s early_phase from 20.8 %
    /// (no draws) to 16.7–18.4 %.
    private func drawPeriods(now: UInt64) {
        for index in jitters.indices {
            let clock = events.cgroup == nil ? now : startTime + sampledCPUTimes[index]
            guard clock >= jitters[index].nextDraw else { continue }
            let period = jitters[index].draw(at: clock)
            // Samples are weighted by the period in force when they were taken: from just before this call on,
            // not from the pass's start (each call waits for its CPU, 30–80 µs here).
            let setAt = UInt64(Clock.monotonic())
            if events.setPeriod(period, sampleBuffer: events.cgroup == nil ? nil : index) { jitters[index].rootPeriodSet(period, at: setAt) }
        }
    }

    /// The schedule (``jitters``) a sample read from `events.buffers[index]` was taken under: its CPU's by cgroup.
    private func jitterIndex(ofBuffer index: Int) -> Int { events.cgroup == nil ? 0 : index - events.sideBandBuffers.count }

    /// Runs the reader thread (only it: `sched_setscheduler(0, …)` acts on the calling thread) as `SCHED_FIFO`, once a
    /// process publishes its spans. A sample's span is read when the reader runs, and on a loaded machine a woken
    /// reader of normal priority waits for the running threads' slices, the sampled one among them, which meanwhile
    /// can end its span: measured at load 8–24 on 2 cores, half the reads came more than 3.5 ms after the sample and
    /// 6 % of the 15 ms spans' samples went to the next span (BENCHMARKS.md). A real-time thread preempts them at its
    /// wake-up (median delay 0.18 ms at that load, 98–99.5 % in the right span). It does the same work, sooner (each
    /// wake-up finds about one sample, which costs it some CPU per sample, BENCHMARKS.md); the kernel's real-time
    /// throttling (95 % of a CPU by default) bounds it, and `SCHED_RESET_ON_FORK` keeps anything it might start at
    /// normal priority. Refused without the privilege (CAP_SYS_NICE or RLIMIT_RTPRIO): the reader then keeps its
    /// priority and the share measured before.
    private static func prioritizeReader(logger: Logger) {
        var parameters = sched_param(sched_priority: 1)
        guard sched_setscheduler(0, SCHED_FIFO | resetOnFork, &parameters) != 0 else { return }
        logger.debug("perf reader: real-time priority refused (\(String(cString: strerror(errno)))): spans are read at normal priority")
    }

    /// `SCHED_RESET_ON_FORK` (linux/sched.h), which Glibc's module does not import.
    private static let resetOnFork: Int32 = 0x4000_0000

    /// How long after its timestamp a record may still be unwritten: the kernel writes one with preemption
    /// off, in microseconds; the rest is margin for a virtual CPU the hypervisor paused.
    private static let writeAllowance: Int64 = 10_000_000

    /// Milliseconds between passes without `--wall`, from 1 to 100: as long as a buffer of `bufferCapacity` bytes left
    /// with a write allowance of samples after a pass keeps as much room again for a reader that is late, at the highest
    /// rate a period draw gives (each sample the stack copy and under 512 bytes more). 45 ms for 4 MiB at 1 kHz, with
    /// 45 ms to spare; 1 ms for the 256 KiB that an unprivileged user's locked memory allows each of 2 CPUs with no `ulimit -l`
    /// (``PerfEventSet/open(pid:options:period:byCgroup:logger:)``).
    ///
    /// Each pass costs the reader a wake-up (on this VM 14 µs of CPU with every CPU busy, 40 µs after an idle one) and
    /// any period draws come due (``drawPeriods(now:)``, an IPI each): a pass every quarter fill at the rate (31 ms at
    /// 1 kHz) spent 1–2 µs a sample on them (BENCHMARKS.md, "The reader's cadence").
    static func passInterval(bufferCapacity: Int, stackCopySize: Int, rate: Double) -> Int32 {
        let fillTime = 1000 * Double(bufferCapacity) / Double(stackCopySize + 512) / (rate * (1 + PeriodJitter.spread))
        return Int32(min(100, max(1, (fillTime - Double(writeAllowance / 1_000_000)) / 2)))
    }

    /// Applies every record timed before `cutoff` (CLOCK_MONOTONIC ns), earliest first across the buffers.
    ///
    /// The buffers are refreshed one after another, so a record written to one just after it was refreshed
    /// can be older than a record already visible in the next: a sample taken right after an `exec` on one
    /// CPU could be applied before the `exec`'s mappings written on another, and be unwound and named with
    /// none. perf orders its records by rounds for the same reason (`FINISHED_ROUND`); here a record timed
    /// before the refresh, less the time a write can take, is surely visible, and later ones wait for the
    /// next drain.
    private func drain(takenBefore cutoff: UInt64) {
        for buffer in events.buffers { buffer.refresh() }
        readSpans()
        while true {
            var earliest: (index: Int, record: UnsafeRawBufferPointer, time: UInt64)?
            for (index, buffer) in events.buffers.enumerated() {
                guard let record = buffer.peek() else { continue }
                let time = PerfRecord.time(of: record)
                if earliest == nil || time < earliest!.time { earliest = (index, record, time) }
            }
            guard let (index, record, time) = earliest, time < cutoff else { return }
            latestRecordTime = max(latestRecordTime, time)
            if !events.isSideBand(index) { events.buffers[index].prefetch(after: record) }
            apply(record, time: time, fromBuffer: index)
            latestTimes[index] = max(latestTimes[index], time)
            events.buffers[index].consume(record)
            // Spans read from outside: as soon as possible, before each record. Read in the interrupt, they were all
            // taken in before the loop (``takeKernelSpans(_:)``).
            if kernelSpans == nil { readSpans() }
        }
    }

    /// Reads the span of each sample's thread the moment the sample is seen, long before samples are applied in
    /// time order (``writeAllowance``): perf samples carry no thread pointer and the thread runs on, so the sooner
    /// the fewer samples are put in the span that followed theirs (measured in BENCHMARKS.md). Called again before
    /// each record is applied, taking in what the kernel wrote meanwhile: a drain unwinds for milliseconds, and a
    /// sample written during it is read then (a few µs), not when the drain ends.
    /// Nothing is visited before a process publishes its spans: a run without any does not decode each sample twice.
    private func readSpans() {
        guard processes.publishesThreadContext else { return }
        if !kernelSpansTried { setUpKernelSpans() }
        if let kernelSpans { return takeKernelSpans(kernelSpans) }
        for (index, buffer) in events.sampleBuffers.enumerated() {
            buffer.refresh()
            seen[index] = buffer.visit(after: seen[index]) { record in
                guard case let .sample(pid, tid, _) = PerfRecord(record),
                      let span = processes[pid]?.threadContext?.spanLabels(tid: tid) else { return }
                spansSeen[SampleKey(tid: tid, time: PerfRecord.time(of: record))] = span
            }
        }
    }

    /// Gives the kernel program the processes' locations it lacks, then takes in what it read, for the samples to be
    /// applied (``apply(_:time:fromBuffer:)``, in time order, as the entries of each thread are). The sample buffers are
    /// refreshed before the program's ring is drained, and a drain applies only samples timed a write allowance before
    /// it: their entries, written in the same interrupt before the sample, are complete in the ring (the drain stops
    /// at the first entry still being written, which is younger).
    private func takeKernelSpans(_ reader: KernelSpanReader) {
        unpublishedLocations.removeAll { process in
            guard processes[process.pid] === process else { return true }
            guard let location = process.threadContext?.kernelLocation else { return false }
            reader.publish(process.pid, location: location)
            return true
        }
        for buffer in events.sampleBuffers { buffer.refresh() }
        reader.drain { processes[$0]?.threadContext }
    }

    /// Applies `record`, read from `events.buffers[index]`.
    private func apply(_ record: UnsafeRawBufferPointer, time: UInt64, fromBuffer index: Int) {
        switch PerfRecord(record) {
        case let .sample(pid, tid, recordedPeriod):
            let span: SpanLabels?
            if let kernelSpans {
                span = kernelSpans.span(tid: tid, sampledAt: time)
            } else {
                span = spansSeen.isEmpty ? nil : spansSeen.removeValue(forKey: SampleKey(tid: tid, time: time))
            }
            // The kernel reports the period of the events we opened (the cgroup's, or the first thread's) as it was at
            // the start, not as ``PeriodJitter`` set it since.
            let schedule = jitterIndex(ofBuffer: index)
            let period = events.cgroup != nil || tid == rootPID ? jitters[schedule].period(ofRootSampleAt: time) : Int64(clamping: recordedPeriod)
            sampledCPUTimes[schedule] += UInt64(max(0, period))
            let wallTime = wallClock.wall(monotonic: time)
            if let exited = exitedPIDs[pid] {
                // In the kernel, its address space gone: counted in the image it had, if that is still held.
                processes.storeKernelSample(imageID: exited, tid: tid, cpuTime: period, time: wallTime, span: span) { threadName(pid: pid, tid: tid) }
                return
            }
            let registers = PerfRecord.fillSnapshot(snapshot, fromSample: record)
            // With no user registers, only a process already known is named: one whose fork record was lost would come
            // back, after its exit, as a process of its own.
            guard registers != .cutShort, let process = registers == .filled ? process(pid) : processes[pid] else {
                store.recordLost(cpuTime: period)
                return
            }
            if registers == .filled {
                // A sample taken in the kernel during `exec`, before the new program is mapped, carries the old
                // program's user registers and no mapping: its image is named by the command until the path is known.
                processes.unwind(snapshot, of: process, commandName: threadNames[pid])
                processes.storeStack(of: process, tid: tid, cpuTime: period, time: wallTime, span: span) { threadName(pid: pid, tid: tid) }
            } else {
                processes.storeKernelSample(imageID: processes.image(of: process, commandName: threadNames[pid]), tid: tid, cpuTime: period,
                                            time: wallTime, span: span) { threadName(pid: pid, tid: tid) }
            }
            // A thread sampled in its exit after its own exit record (by cgroup) is not brought back to the wall recorder.
            if exitedThreadNames[tid] == nil { wall?.ranOnCPU(process, tid: tid, stack: processes.frames, span: span, cpuTime: period) }
        case let .mapping(pid, mapping):
            let process = process(pid)
            let unnamed = process.executablePath == nil
            process.mapped(mapping)
            guard unnamed, process.executablePath != nil else { return }
            // The kernel maps the program first after an exec; once records were lost since, the first file seen
            // may be another (ld.so's cache), and /proc says better what the process runs while it still does.
            if recordsLost != process.recordsLostAtExec, let linked = ProcessMaps.executableLink(pid: pid) {
                process.executablePath = linked
            }
            if let id = process.imageID, let path = process.executablePath { store.imageNamed(id, executablePath: path) }
        case let .comm(pid, tid, name, isExec):
            threadNames[tid] = name
            // Alive: the tid of an exited thread can be another's again (an exec by another thread takes the leader's).
            exitedThreadNames[tid] = nil
            guard isExec else { return }
            startedProcesses = true
            kernelSpans?.forget(pid)
            let process = process(pid)
            processes.execed(process)
            process.recordsLostAtExec = recordsLost
            process.threads = [tid]
        case let .fork(pid, tid, parentPID, parentTID):
            store.recordThreadSeen()
            threadNames[tid] = threadNames[parentTID]
            exitedThreadNames[tid] = nil
            exitedPIDs[pid] = nil
            if let process = processes[pid] {
                process.threads.insert(tid)
            } else {
                processes.add(SampledProcess(pid: pid, forkedFrom: processes[parentPID]))
            }
        case let .contextSwitch(pid, tid, out, preempted):
            // By cgroup, a thread's last switch out comes after its exit record: it must not be brought back either.
            guard let process = processes[pid], exitedThreadNames[tid] == nil else { return }
            wall?.switched(process, tid: tid, out: out, preempted: preempted, time: time)
        case let .exit(pid, tid):
            wall?.exited(tid: tid, at: time)
            exitedThreadNames[tid] = (threadNames.removeValue(forKey: tid) ?? "", time)
            guard let process = processes[pid] else { return }
            process.threads.remove(tid)
            if process.threads.isEmpty {
                kernelSpans?.forget(pid)
                exitedPIDs[pid] = .some(processes.exited(pid))
            }
        case let .lost(count) where events.isSideBand(index):
            // Forks, execs, exits, mappings and context switches: no CPU time. They were dropped after the latest record
            // read from the buffer and before this one, which the kernel writes with the first record that fits again.
            recordsLost += count
            store.recordSideBandLost(count, over: Int64(clamping: time - min(time, latestTimes[index])))
        case let .lost(count):
            // A sample buffer holds samples only (``PerfEventSet``), and a dropped sample's period is unknown: each
            // stands for the mean one, the rate's (``PeriodJitter``).
            if let warning = store.recordMissed(count, cpuTime: Int64(count) * options.period) { logger.warning("\(warning)") }
        case .other:
            break
        }
    }

    /// Processes gone although their exit records never came (the kernel dropped them from a full buffer), once their
    /// last samples are applied (``ProcessRegistry/forgetGone(now:appliedUntil:)``): as if the records had come.
    private func forgetGoneProcesses(now: Int64, appliedUntil: Int64) {
        let forgotten = processes.forgetGone(now: now, appliedUntil: appliedUntil)
        guard !forgotten.isEmpty else { return }
        for process in forgotten { kernelSpans?.forget(process.pid) }
        for tid in forgotten.flatMap(\.threads) {
            wall?.exited(tid: tid, at: latestRecordTime)
            threadNames[tid] = nil
        }
        logger.debug("perf: \(forgotten.count) processes gone without their exit records forgotten, \(processes.count) held")
    }

    /// Its comm records keep the name current; /proc is read once for a thread they have not named.
    private func threadName(pid: pid_t, tid: pid_t) -> String {
        if let known = threadNames[tid] { return known }
        // Read again, an exited thread's name would be kept as a live one's until its tid is reused.
        if let exited = exitedThreadNames[tid] { return exited.name }
        guard let name = ProcessMaps.threadName(pid: pid, tid: tid) else { return "" }
        threadNames[tid] = name
        return name
    }

    /// A process known from its records, or, if its records were lost, from `/proc` while it still runs.
    private func process(_ pid: pid_t) -> SampledProcess {
        if let known = processes[pid] { return known }
        let process = SampledProcess(pid: pid, threads: [pid], mappings: MappingTable(mappings: ProcessMaps.read(pid: pid)),
                                     executablePath: ProcessMaps.executablePath(pid: pid))
        processes.add(process)
        return process
    }
}
