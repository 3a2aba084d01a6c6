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
/// than the few alive at once; its image stays in the store until its last samples are taken.
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

    /// The process has exited: its image is complete and it is forgotten.
    func exited(_ pid: pid_t) {
        guard let process = processes.removeValue(forKey: pid) else { return }
        if let id = process.imageID { store.imageExited(id) }
    }

    /// Sampling has ended: every image is complete.
    func finish() {
        for process in processes.values { if let id = process.imageID { store.imageExited(id) } }
        processes = [:]
    }

    /// Unwinds `snapshot` with the process's current modules, then ``storeStack(of:tid:cpuTime:time:threadName:)``
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
        guard let imageID = process.imageID else { return }
        store.add(stack: frames, cpuTime: cpuTime, imageID: imageID, tid: tid, time: time, span: span, threadName: threadName)
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
                                                    executablePath: process.executablePath ?? ProcessMaps.executableLink(pid: process.pid))
        if process.threadContext != nil { publishesThreadContext = true }
        if let imageID = process.imageID {
            store.updateModules(imageID: imageID, modules: modules)
        } else {
            let name = process.executablePath ?? commandName ?? ProcessMaps.executablePath(pid: process.pid)
            process.imageID = store.addImage(pid: process.pid, executablePath: name, modules: modules)
        }
        return unwinder
    }
}
