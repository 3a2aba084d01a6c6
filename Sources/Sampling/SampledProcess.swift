import Binaries
import Glibc
import ThreadContext
import Unwinding

/// A process either sampler follows: its threads, the mappings of the program it runs, the unwinder built from
/// them and the program's image in the ``ProfileStore``. ``ProcessRegistry`` keeps them and drops each when its
/// process exits.
///
/// The perf-event sampler rebuilds the mappings from the kernel's records as they were when each sample was
/// taken, so a process unwinds after it exited; the tracer reads them from `/proc` while the process is stopped.
final class SampledProcess {
    let pid: pid_t
    var threads: Set<pid_t>
    private(set) var mappings: MappingTable
    /// The program's path: the first file mapped after `exec` (the kernel maps the executable first), or
    /// `nil` until known.
    var executablePath: String?
    /// The profile record of the current program; `nil` until first sampled after start or `exec`.
    var imageID: Int?
    var unwinder: Unwinder?
    /// The ``MappingTable/moduleGeneration`` the unwinder was built for; -1 for none.
    var unwinderGeneration = -1
    /// Reads each thread's span (OTEP 4947), found with the unwinder's modules; `nil` when no module exports one.
    var threadContext: ThreadContextReader?
    /// perf events: the sampler's count of lost records when this program was exec'd; if it grew, the program's
    /// own mapping may be among them.
    var recordsLostAtExec = 0
    /// ptrace: when `/proc/PID/maps` was last read (monotonic ns), to bound re-reads for code mapped later.
    var mappingsReadAt: Int64 = 0
    /// ptrace: still hybrid-run's own forked image, on its way to `exec`: nothing of the command to sample yet.
    var isBeforeExec = false

    init(pid: pid_t, threads: Set<pid_t>, mappings: MappingTable = MappingTable(), executablePath: String? = nil) {
        self.pid = pid
        self.threads = threads
        self.mappings = mappings
        self.executablePath = executablePath
    }

    /// A forked child: the parent's address space and program, and one thread.
    convenience init(pid: pid_t, forkedFrom parent: SampledProcess?) {
        self.init(pid: pid, threads: [pid], mappings: parent?.mappings ?? MappingTable(),
                  executablePath: parent?.executablePath)
    }

    /// A new program replaced the old one: its mappings and profile record start afresh.
    func execed() {
        mappings = MappingTable()
        executablePath = nil
        imageID = nil
        unwinder = nil
        unwinderGeneration = -1
        threadContext = nil
        isBeforeExec = false
    }

    func mapped(_ mapping: MemoryMapping) {
        mappings.insert(mapping)
        if executablePath == nil, mapping.isFileBacked { executablePath = mapping.path }
    }

    /// The whole address space, read anew (from `/proc`): the unwinder is rebuilt if its modules moved.
    func remapped(_ mappings: [MemoryMapping]) {
        self.mappings = MappingTable(mappings: mappings)
        unwinderGeneration = -1
    }
}
