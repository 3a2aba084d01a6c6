/// How sampling went over a profile's time range, for the summary and the benchmark.
public struct SamplingStatistics: Sendable, Equatable {
    /// Thread samples stored in the profile.
    public var samplesTaken: Int
    /// Samples that were due but not taken: the thread exited or could not be read mid-sample, or the
    /// tracer fell behind the rate and skipped ticks (counted once per running thread it would have sampled).
    public var samplesLost: Int
    /// Distinct threads and processes traced since profiling began.
    public var threadsSeen: Int
    public var processesSeen: Int
    /// How long a sampled thread was stopped (from `PTRACE_INTERRUPT` to `PTRACE_CONT` returning), in ns.
    public var stoppedTimeP50: Int64?
    public var stoppedTimeP99: Int64?
    /// CPU time the tracer thread used (stopping, copying, unwinding, handling events), in ns.
    public var tracerCPUTime: Int64

    public init(samplesTaken: Int = 0, samplesLost: Int = 0, threadsSeen: Int = 0, processesSeen: Int = 0,
                stoppedTimeP50: Int64? = nil, stoppedTimeP99: Int64? = nil, tracerCPUTime: Int64 = 0) {
        self.samplesTaken = samplesTaken
        self.samplesLost = samplesLost
        self.threadsSeen = threadsSeen
        self.processesSeen = processesSeen
        self.stoppedTimeP50 = stoppedTimeP50
        self.stoppedTimeP99 = stoppedTimeP99
        self.tracerCPUTime = tracerCPUTime
    }
}
