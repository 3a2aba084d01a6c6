/// How sampling went over a profile's time range, for the summary and the benchmark.
public struct SamplingStatistics: Sendable, Equatable {
    /// Thread samples stored in the profile.
    public var samplesTaken: Int
    /// Samples that were due but not taken: ``samplesMissed``, and those that could not be read or whose thread
    /// ended mid-sample.
    public var samplesLost: Int
    /// Of ``samplesLost``, those missed while the profiler was behind the requested rate: records the kernel
    /// dropped from a full buffer (perf events), threads the tracer did not stop within a period (ptrace; their
    /// CPU time is counted in each thread's next sample).
    public var samplesMissed: Int
    /// The CPU time that lost samples stood for and that no stack carries, in ns: one period per record the kernel
    /// dropped or the reader could not read (perf events). ptrace loses no time this way: a thread's next sample
    /// weighs all the CPU time it used since its previous one, missed samples' included. The profile shows this
    /// time as a stack of its own (``ProcessProfile/lostSamples(cpuTime:count:)``).
    public var lostCPUTime: Int64
    /// Side-band records the kernel dropped from a full buffer (perf events): of forks, execs, exits, mappings and,
    /// with `--wall`, context switches, which have buffers apart from the samples' so that their loss is no sample's.
    /// No CPU time is counted for them. With `--wall`, a thread's blocked, waiting and running time across the
    /// switches dropped is counted from its records either side.
    public var sideBandRecordsLost: Int
    /// The time over which they were dropped, in ns, summed over the CPUs' buffers: each loss from the latest record
    /// read from its buffer before it to the first that fitted again (at most that long).
    public var sideBandLossTime: Int64
    /// Distinct threads and processes traced since profiling began.
    public var threadsSeen: Int
    public var processesSeen: Int
    /// How long a sampled thread was stopped (from `PTRACE_INTERRUPT` to `PTRACE_CONT` returning), in ns.
    public var stoppedTimeP50: Int64?
    public var stoppedTimeP99: Int64?
    /// CPU time the tracer thread used (stopping, copying, unwinding, handling events), in ns.
    public var tracerCPUTime: Int64
    /// How wall time was recorded (`--wall`); `nil` when it was not.
    public var wall: WallStatistics?
    /// Samples whose published span could not be read.
    public var spanReadFailures: SpanReadFailures

    public init(samplesTaken: Int = 0, samplesLost: Int = 0, samplesMissed: Int = 0, lostCPUTime: Int64 = 0,
                sideBandRecordsLost: Int = 0, sideBandLossTime: Int64 = 0, threadsSeen: Int = 0, processesSeen: Int = 0,
                stoppedTimeP50: Int64? = nil, stoppedTimeP99: Int64? = nil, tracerCPUTime: Int64 = 0, wall: WallStatistics? = nil,
                spanReadFailures: SpanReadFailures = SpanReadFailures()) {
        self.samplesTaken = samplesTaken
        self.samplesLost = samplesLost
        self.samplesMissed = samplesMissed
        self.lostCPUTime = lostCPUTime
        self.sideBandRecordsLost = sideBandRecordsLost
        self.sideBandLossTime = sideBandLossTime
        self.threadsSeen = threadsSeen
        self.processesSeen = processesSeen
        self.stoppedTimeP50 = stoppedTimeP50
        self.stoppedTimeP99 = stoppedTimeP99
        self.tracerCPUTime = tracerCPUTime
        self.wall = wall
        self.spanReadFailures = spanReadFailures
    }
}

extension SamplingStatistics {
    /// "N samples taken, M lost (K of them missed while the profiler was behind the requested rate)": the one
    /// wording of these counts, in the summary, the report and the warning given during the run.
    public var samplesText: String {
        let missed = samplesMissed > 0 ? " (\(samplesMissed) of them missed while the profiler was behind the requested rate)" : ""
        return "\(samplesTaken) samples taken, \(samplesLost) lost\(missed)"
    }
}
