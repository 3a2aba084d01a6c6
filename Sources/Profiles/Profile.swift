/// A CPU profile of a process tree over a time range: symbolized stacks counted per process and thread.
///
/// Each stack carries the CPU time its samples stand for (``StackCount/cpuTime``) and that time in sampling
/// periods (``StackCount/count``), which is what formats without a time unit (folded files) and share
/// computations use.
public struct Profile: Sendable, Equatable {
    /// Wall-clock time of the first and last moment covered, in nanoseconds since the Unix epoch.
    public var startTime: Int64
    public var endTime: Int64
    /// The sampling period in nanoseconds of CPU time (1e9 / rate): what one ``StackCount/count`` stands for.
    public var sampleWeight: Int64
    public var processes: [ProcessProfile]
    public var statistics: SamplingStatistics
    /// When each sample was taken, where the sampler records it (empty for a profile read from a file).
    public var timeline: SampleTimeline

    public init(startTime: Int64, endTime: Int64, sampleWeight: Int64, processes: [ProcessProfile],
                statistics: SamplingStatistics, timeline: SampleTimeline = SampleTimeline()) {
        self.startTime = startTime
        self.endTime = endTime
        self.sampleWeight = sampleWeight
        self.processes = processes
        self.statistics = statistics
        self.timeline = timeline
    }

    /// Whether the profile has wall time (`--wall`): each stack's ``StackCount/wallTime``.
    public var hasWall: Bool { statistics.wall != nil }

    /// The sum of all stacks' wall time, in nanoseconds (0 without ``hasWall``).
    public var totalWallTime: Int64 {
        processes.reduce(0) { $0 + $1.threads.reduce(0) { $0 + $1.stacks.reduce(0) { $0 + $1.wallTime } } }
    }

    /// The sum of all stack counts.
    public var totalSamples: Int {
        processes.reduce(0) { $0 + $1.threads.reduce(0) { $0 + $1.totalSamples } }
    }

    /// The sum of all stacks' CPU time, in nanoseconds.
    public var totalCPUTime: Int64 {
        processes.reduce(0) { $0 + $1.threads.reduce(0) { $0 + $1.stacks.reduce(0) { $0 + $1.cpuTime } } }
    }
}

/// One process image: a pid between two `exec`s (a pid that execs appears once per program it ran), or, in a
/// run of many processes, every later process of one program (``Profile/processesKeptApart``).
public struct ProcessProfile: Sendable, Equatable {
    /// 0 for the processes of a program counted together (``processCount``).
    public var pid: Int32
    /// The executable's path, as `/proc/PID/exe` named it.
    public var executablePath: String
    /// Modules mapped in the process; frames refer to them by index.
    public var mappings: [Mapping]
    public var threads: [ThreadProfile]
    /// The processes counted in an entry that stands for many (pid 0); empty otherwise.
    public var countedPIDs: Set<Int32>

    public init(pid: Int32, executablePath: String, mappings: [Mapping], threads: [ThreadProfile], countedPIDs: Set<Int32> = []) {
        self.pid = pid
        self.executablePath = executablePath
        self.mappings = mappings
        self.threads = threads
        self.countedPIDs = countedPIDs
    }

    /// How many processes this entry stands for.
    public var processCount: Int { pid == 0 ? countedPIDs.count : 1 }

    /// The executable's file name: the root frame of this process's stacks.
    public var executableName: String {
        executablePath.split(separator: "/").last.map(String.init) ?? executablePath
    }
}

/// A module (executable, shared library, vDSO) as mapped in a process.
public struct Mapping: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    /// The file offset mapped at `start`.
    public var fileOffset: UInt64
    public var path: String
    public var buildID: String?

    public init(start: UInt64, end: UInt64, fileOffset: UInt64, path: String, buildID: String?) {
        self.start = start
        self.end = end
        self.fileOffset = fileOffset
        self.path = path
        self.buildID = buildID
    }

    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}

public struct ThreadProfile: Sendable, Equatable {
    public var tid: Int32
    /// The thread's name (`/proc/PID/task/TID/comm`).
    public var name: String
    public var stacks: [StackCount]

    public init(tid: Int32, name: String, stacks: [StackCount]) {
        self.tid = tid
        self.name = name
        self.stacks = stacks
    }

    public var totalSamples: Int { stacks.reduce(0) { $0 + $1.count } }
}

/// A distinct stack and the CPU time the samples that caught it stand for.
public struct StackCount: Sendable, Equatable {
    /// Leaf (where the CPU was) first, outermost caller last.
    public var frames: [Frame]
    /// ``cpuTime`` in sampling periods (``Profile/sampleWeight``): the number of samples for perf events, whose
    /// every sample is one period of CPU time. A ptrace sample stands for the CPU time its thread used since its
    /// previous sample, so there it is ``cpuTime`` divided by the period, rounded, with the rounding's remainder
    /// carried to the next stack (``PeriodRounding``): the counts of a profile add up to its CPU time.
    public var count: Int
    /// Nanoseconds of CPU time spent in this stack.
    public var cpuTime: Int64
    /// Nanoseconds of wall time spent in this stack (`--wall`): its ``cpuTime``, plus the time its thread waited
    /// for a CPU after running it, plus the time its thread was blocked in it. 0 when wall time was not recorded.
    public var wallTime: Int64
    /// The span the samples were taken in, where the thread published one (OTEP 4947); `nil`: the run's root span.
    public var span: SpanLabels?

    public init(frames: [Frame], count: Int, cpuTime: Int64, wallTime: Int64 = 0, span: SpanLabels? = nil) {
        self.frames = frames
        self.count = count
        self.cpuTime = cpuTime
        self.wallTime = wallTime
        self.span = span
    }

    /// A stack its thread was only blocked or waiting in (`--wall`): it belongs in wall views, not in CPU ones,
    /// which keep what they had without `--wall`.
    public var isOffCPUOnly: Bool { cpuTime == 0 && wallTime > 0 }
}

/// One stack frame, symbolized.
///
/// A value with the size of one reference (``SharedFields``): the copies of a frame in every stack that passes
/// through it (and in every window's profile merged into the run's) are one object.
public struct Frame: Sendable, Hashable {
    private struct Fields: Hashable, Sendable {
        var address: UInt64
        var mapping: Int?
        var name: String
        var symbolName: String?
    }

    private var storage: SharedFields<Fields>

    public init(address: UInt64, mapping: Int?, name: String, symbolName: String?) {
        storage = SharedFields(Fields(address: address, mapping: mapping, name: name, symbolName: symbolName))
    }

    /// The instruction address in the process (for caller frames, inside the call instruction).
    public var address: UInt64 {
        get { storage[\.address] }
        set { storage[\.address] = newValue }
    }

    /// Index into the process's ``ProcessProfile/mappings``; `nil` outside every module (JIT code, garbage).
    public var mapping: Int? {
        get { storage[\.mapping] }
        set { storage[\.mapping] = newValue }
    }

    /// What to show: the demangled function name, or `module+0xOFFSET` when no symbol covers the address.
    public var name: String {
        get { storage[\.name] }
        set { storage[\.name] = newValue }
    }

    /// The name as the symbol table spells it (mangled), when a symbol was found.
    public var symbolName: String? {
        get { storage[\.symbolName] }
        set { storage[\.symbolName] = newValue }
    }

    /// Whether the two frames are one object, not only equal: what sharing frames saves is memory, not visible in values.
    package func sharesStorage(with other: Frame) -> Bool { storage.isShared(with: other.storage) }

    /// The address and module only: equal frames have equal ones, and hashing a demangled C++ name (hundreds of
    /// characters) at every frame of every stack was most of merging a build's windows (BENCHMARKS.md).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields.address)
        hasher.combine(storage.fields.mapping)
    }
}
