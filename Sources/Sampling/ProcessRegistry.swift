import Binaries
import Glibc
import Profiles
import ThreadContext
import Unwinding

/// The processes a sampler follows, and the one path both samplers take from a thread's snapshot to a counted
/// stack: mappings → modules → unwinder (rebuilt only when code was mapped or unmapped) → unwind →
/// ``ProfileStore``.
///
/// A process is forgotten as soon as it exits, so thousands of short-lived processes (a build) cost no more
/// than the few alive at once; its image stays in the store until its last samples are taken. A process whose exit
/// the sampler never saw (the kernel drops records from a full buffer) is forgotten once its pid is gone
/// (``forgetGone(now:appliedUntil:)``).
final class ProcessRegistry {
    private let store: ProfileStore
    private let maximumFrames: Int
    /// Each ELF file opened once for every process that maps it.
    private let files = ELFImageCache()
    private var processes: [pid_t: SampledProcess] = [:]
    /// The last stack unwound, leaf first; reused, so a sample allocates nothing.
    private(set) var frames: [UInt64] = []
    /// Whether a process seen so far publishes its spans as OpenTelemetry thread context (OTEP 4947).
    private(set) var publishesThreadContext = false
    /// Told of each process whose thread-context reader was just made (its own, or after an exec or new code).
    var threadContextMade: ((SampledProcess) -> Void)?
    /// Processes held whose pid was gone at a check (CLOCK_MONOTONIC ns), until their samples are all applied.
    private var gone: [(process: SampledProcess, checkedAt: Int64)] = []
    /// When the pids held are next checked (``forgetGone(now:appliedUntil:)``).
    private var nextCheck: Int64 = 0
    /// How often the pids held are checked: a `kill` per process held, a few hundred ns each.
    private static let checkInterval: Int64 = 1_000_000_000

    init(store: ProfileStore, maximumFrames: Int) {
        self.store = store
        self.maximumFrames = maximumFrames
    }

    subscript(pid: pid_t) -> SampledProcess? { processes[pid] }

    func add(_ process: SampledProcess) {
        processes[process.pid] = process
        store.recordProcessSeen()
    }

    /// The process replaced its program: the old program's image is complete.
    func execed(_ process: SampledProcess) {
        if let id = process.imageID { store.imageExited(id) }
        process.execed()
    }

    /// The process has exited: its image is complete and it is forgotten. Returns the image, if it had one.
    @discardableResult
    func exited(_ pid: pid_t) -> Int? {
        guard let process = processes.removeValue(forKey: pid) else { return nil }
        if let id = process.imageID { store.imageExited(id) }
        return process.imageID
    }

    /// The processes held, for the debug line that says how many there are (a build holds the few alive at once).
    var count: Int { processes.count }

    /// Forgets, and returns, the processes that no longer exist although their exit was never seen, so that their
    /// state (unwinder, modules, image) cannot pile up over a run of thousands of processes.
    ///
    /// Once per ``checkInterval`` each pid held is checked with `kill(pid, 0)`: `ESRCH` means every thread of the
    /// process has exited and been reaped, so it takes no more samples (a zombie still exists, and is kept). Samples
    /// are applied later than they are taken (perf events: ~10 ms, ``PerfSampler``), so a process found gone at a
    /// check is forgotten only once every sample taken before that check is applied (`appliedUntil` past it): none of
    /// its samples is dropped. A pid reused meanwhile by a new process (a fork seen since) is not the one forgotten.
    /// - Parameters:
    ///   - now: CLOCK_MONOTONIC ns.
    ///   - appliedUntil: every sample taken before this (CLOCK_MONOTONIC ns) has been applied.
    func forgetGone(now: Int64, appliedUntil: Int64) -> [SampledProcess] {
        if now >= nextCheck {
            nextCheck = now + Self.checkInterval
            let known = Set(gone.map { ObjectIdentifier($0.process) })
            gone += processes.values.filter { !known.contains(ObjectIdentifier($0)) && kill($0.pid, 0) != 0 && errno == ESRCH }
                .map { ($0, now) }
        }
        var forgotten: [SampledProcess] = []
        gone.removeAll { process, checkedAt in
            guard checkedAt < appliedUntil else { return false }
            if processes[process.pid] === process {
                exited(process.pid)
                forgotten.append(process)
            }
            return true
        }
        return forgotten
    }

    /// Sampling has ended: every image is complete.
    func finish() {
        for process in processes.values { if let id = process.imageID { store.imageExited(id) } }
        processes = [:]
        gone = []
    }

    /// Unwinds `snapshot` with the process's current modules, then ``storeStack(of:tid:cpuTime:time:span:threadName:)``
    /// counts it.
    ///
    /// - Parameter commandName: what to call a program sampled before its executable is known (see
    ///   ``PerfSampler``); `/proc` is asked otherwise.
    /// - Returns: `false` when a frame lay outside every known module, which may mean code mapped since.
    @discardableResult
    func unwind(_ snapshot: ThreadSnapshot, of process: SampledProcess, commandName: String? = nil) -> Bool {
        unwinder(for: process, commandName: commandName).unwind(snapshot, into: &frames)
    }

    /// Counts the stack last unwound for thread `tid`: a sample taken at `time` (wall clock ns) standing for
    /// `cpuTime` nanoseconds of CPU time.
    /// - Parameter span: the span the thread published when it was sampled, if any.
    func storeStack(of process: SampledProcess, tid: pid_t, cpuTime: Int64, time: Int64, span: SpanLabels? = nil, threadName: () -> String) {
        record(imageID: process.imageID, tid: tid, cpuTime: cpuTime, time: time, span: span, threadName: threadName)
    }

    /// Counts a sample of thread `tid` that has no user registers (``KernelFrame``), as ``storeStack(of:tid:cpuTime:time:span:threadName:)``
    /// counts an unwound one, in `imageID`: the image of its process (``image(of:commandName:)``), or the one a process
    /// had before its exit record. The stack last unwound is then that one frame.
    func storeKernelSample(imageID: Int?, tid: pid_t, cpuTime: Int64, time: Int64, span: SpanLabels?, threadName: () -> String) {
        frames.removeAll(keepingCapacity: true)
        frames.append(KernelFrame.address)
        record(imageID: imageID, tid: tid, cpuTime: cpuTime, time: time, span: span, threadName: threadName)
    }

    /// The process's image in the store, added now if no sample had made it yet.
    func image(of process: SampledProcess, commandName: String?) -> Int? {
        _ = unwinder(for: process, commandName: commandName)
        return process.imageID
    }

    /// Counts ``frames`` in `imageID`, or as lost if the store holds no such image (an exited process's is given up
    /// at the window after its exit).
    private func record(imageID: Int?, tid: pid_t, cpuTime: Int64, time: Int64, span: SpanLabels?, threadName: () -> String) {
        let added = imageID.map { store.add(stack: frames, cpuTime: cpuTime, imageID: $0, tid: tid, time: time, span: span, threadName: threadName) }
        if added != true { store.recordLost(cpuTime: cpuTime) }
    }

    /// The process's unwinder, rebuilt when its code was mapped or unmapped since it was made; the first one
    /// made for a program adds the program's image to the store.
    private func unwinder(for process: SampledProcess, commandName: String?) -> Unwinder {
        if let unwinder = process.unwinder, process.unwinderGeneration == process.mappings.moduleGeneration {
            return unwinder
        }
        process.unwinderGeneration = process.mappings.moduleGeneration
        let modules = ModuleMap(mappings: process.mappings.mappings, images: files)
        if let unwinder = process.unwinder, unwinder.modules.ranges == modules.ranges { return unwinder }
        let unwinder = Unwinder(modules: modules, maximumFrames: maximumFrames)
        process.unwinder = unwinder
        process.threadContext = ThreadContextReader(pid: process.pid, modules: modules,
                                                    executablePath: process.executablePath ?? ProcessMaps.executableLink(pid: process.pid),
                                                    failures: store.spanReadFailures)
        if process.threadContext != nil {
            publishesThreadContext = true
            threadContextMade?(process)
        }
        if let imageID = process.imageID {
            store.updateModules(imageID: imageID, modules: modules)
        } else {
            let name = process.executablePath ?? commandName ?? ProcessMaps.executablePath(pid: process.pid)
            process.imageID = store.addImage(pid: process.pid, executablePath: name, modules: modules)
        }
        return unwinder
    }
}
