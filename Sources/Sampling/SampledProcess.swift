import Binaries
import Glibc
import Unwinding

/// A process the kernel samples for us, rebuilt from side-band records: its threads, its program and
/// its mappings as they were when each sample was taken, so it unwinds and symbolizes after it exited.
final class SampledProcess {
    let pid: pid_t
    var threads: Set<pid_t>
    var mappings: MappingTable
    /// The program's path: the first file mapped after `exec` (the kernel maps the executable first).
    var executablePath: String?
    /// The sampler's count of lost records when this program was exec'd: if it grew, the program's own
    /// mapping may be among them.
    var recordsLostAtExec = 0
    /// The profile record of the current program; `nil` until first sampled after start or `exec`.
    var imageID: Int?
    var unwinder: Unwinder?
    /// The ``MappingTable/moduleGeneration`` the unwinder was built for.
    var unwinderGeneration = -1

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
    }

    func mapped(_ mapping: MemoryMapping) {
        mappings.insert(mapping)
        if executablePath == nil, mapping.isFileBacked { executablePath = mapping.path }
    }
}
