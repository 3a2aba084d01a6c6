import Profiles

/// The run's one count of samples taken, lost and missed, and the warning it gives when the profiler is behind
/// the requested rate: at least ten samples missed, and more than 5 % of those due, so a passing hiccup on a
/// busy machine says nothing. Said when that first happens, then at most once per ``interval`` while more are
/// missed, each time with the run's counts so far in the words of the end-of-run summary
/// (``SamplingStatistics/samplesText``): every warning's numbers are the summary's as they stood then.
///
/// Both samplers miss samples their own way (perf events: records the kernel dropped from a full buffer,
/// `PERF_RECORD_LOST`; ptrace: threads the tracer did not stop within a period) and count them here through
/// ``ProfileStore/recordMissed(_:)``.
struct FallingBehind {
    let rate: Double
    /// How the sampler misses samples when behind, for the warning.
    let cause: String
    private(set) var run = SamplingStatistics()
    /// When the last warning was given (monotonic ns) and how many samples had been missed then.
    private var lastWarning: (time: Int64, missed: Int)?
    static let interval: Int64 = 10_000_000_000

    init(rate: Double, cause: String) {
        self.rate = rate
        self.cause = cause
    }

    mutating func recordTaken() { run.samplesTaken += 1 }

    /// Samples lost for another reason than being behind: unreadable, or their thread ended mid-sample.
    mutating func recordLost(_ count: Int) { run.samplesLost += count }

    /// Counts samples missed while behind at `now` (monotonic ns), and returns the warning when one is due.
    mutating func recordMissed(_ count: Int, now: Int64) -> String? {
        run.samplesLost += count
        run.samplesMissed += count
        let due = run.samplesTaken + run.samplesLost
        guard run.samplesMissed >= 10, run.samplesMissed * 20 > due else { return nil }
        if let lastWarning, now - lastWarning.time < Self.interval || run.samplesMissed == lastWarning.missed { return nil }
        lastWarning = (now, run.samplesMissed)
        return "profiler is behind the requested rate of \(rate) Hz: so far \(run.samplesText) (\(cause)); try a lower --rate"
    }
}
