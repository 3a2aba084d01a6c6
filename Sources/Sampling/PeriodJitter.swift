/// The perf events' sampling period, drawn anew at random times, so that no workload repeating at a fixed
/// period of CPU time is sampled at the same phase of every repetition.
///
/// The kernel cannot jitter a task-clock event: it fires exactly every `sample_period` of the thread's CPU time.
/// Against work that repeats at that period (or a simple fraction of it) every sample lands at one phase: a
/// function taking 75 % of each 4.04 ms round got 0 %, 52 % or 100 % at 250 Hz (`workload periodic`,
/// `ProfilerEndToEndTests.aWorkloadRepeatingAtTheSamplingPeriodIsNotAliased`). All the kernel allows on
/// inherited events is `PERF_EVENT_IOC_PERIOD` on the events we opened (kernel/events/core.c,
/// `__perf_event_period`), which
/// - sets the period of the task we opened them on (the command's first thread) and restarts its count, so
///   its next sample comes one new period after the change;
/// - becomes the period of every thread and process created afterwards (`inherit_event` copies the parent
///   event's `attr.sample_period`), fixed for its life.
/// So each draw gives the first thread a new period and phase, and every later thread a period of its own.
/// Sampled by cgroup (``SamplingCgroup``), the events we opened (one per CPU) sample every thread: each CPU's event
/// has a schedule of its own, each draw gives the threads that run there the new period and phase, and the "first
/// thread" below stands for that CPU; draws are then scheduled on the CPU time sampled there rather than on wall
/// time (``PerfSampler``).
/// Within one draw the phase walks by the difference between the period and the workload's, through every
/// phase unless the two are within a few per cent; a new draw every 32–96 periods keeps such a lock short. (A lock
/// in N periods needs the two within about 1/N of each other, so longer draws lock less often but for longer: the
/// error they leave in a share is about the same. 16–48 cost the reader one `PERF_EVENT_IOC_PERIOD`, an IPI of
/// 30–80 µs on this VM, every 32 samples of each busy CPU: 1 µs a sample, a fifth of its CPU at 1 kHz, BENCHMARKS.md.
/// The reader draws at most once a pass, so at 1 kHz, a pass every 45 periods, draws come every 45 or 90 (rarely 135).)
///
/// The cost: the count restarted at each draw is CPU time of the first thread (by cgroup, of the CPU) that no sample
/// stands for, half a period on average per CPU the thread ran on since its last sample there: about 0.8 % of its
/// CPU time per such CPU. Other threads lose nothing.
///
/// Frequencies are drawn uniformly within ±25 % of the rate, so that samples come at the rate on average;
/// each sample is weighted by the period it was taken at (``period(ofRootSampleAt:)``, the record's own
/// `PERF_SAMPLE_PERIOD` for other threads), so CPU times stay right.
struct PeriodJitter {
    private let rate: Double
    private var generator = SystemRandomNumberGenerator()
    /// The periods set on the first thread, latest last, each from the time (CLOCK_MONOTONIC ns) it was set.
    private var rootPeriods: [(since: UInt64, period: Int64)] = []
    /// When the next period is due (CLOCK_MONOTONIC ns).
    private(set) var nextDraw: UInt64 = 0

    /// How far frequencies are spread around the rate.
    static let spread = 0.25

    /// The period the events open with, in force for the first thread from the start.
    private(set) var initialPeriod: Int64 = 0

    /// Starts at `period` (the events are open already), or at a period drawn now.
    init(rate: Double, now: UInt64, period: Int64? = nil) {
        self.rate = rate
        let drawn = draw(at: now)
        initialPeriod = period ?? drawn
        rootPeriods = [(0, initialPeriod)]
    }

    /// A new period in nanoseconds, for the caller to set on the events at `now`; the next draw is scheduled.
    mutating func draw(at now: UInt64) -> Int64 {
        let frequency = rate * Double.random(in: 1 - Self.spread...1 + Self.spread, using: &generator)
        nextDraw = now + UInt64(1e9 / rate * Double.random(in: 32...96, using: &generator))
        return Int64((1e9 / frequency).rounded())
    }

    /// Notes that the first thread samples at `period` from `time` on.
    mutating func rootPeriodSet(_ period: Int64, at time: UInt64) { rootPeriods.append((time, period)) }

    /// The period the first thread was sampled at when its sample timed `time` was taken.
    func period(ofRootSampleAt time: UInt64) -> Int64 {
        (rootPeriods.last { $0.since <= time } ?? rootPeriods[0]).period
    }

    /// Forgets the periods no sample at or after `time` can have been taken at (records are applied in time order).
    mutating func forget(before time: UInt64) {
        let superseded = rootPeriods.prefix { $0.since <= time }.count - 1
        if superseded > 0 { rootPeriods.removeFirst(superseded) }
    }
}
