/// How the profiler samples.
public struct SamplingOptions: Sendable {
    /// Samples per second per running thread (`--rate`, default 100).
    public var rate: Double
    /// Bytes of each sampled thread's stack copied from the stack pointer up. Deeper frames are cut off.
    /// With ptrace the copy is part of the stop: measured p50 6 µs for 32 KiB, 9 µs for 64 KiB, 5 µs for 16 KiB.
    public var stackCopySize: Int
    /// Frames kept per stack, leaf first.
    public var maximumFrames: Int
    /// With ptrace, each period is drawn uniformly from ±`jitter` × period, so sampling does not lock step
    /// with a periodic workload.
    public var jitter: Double
    public var method: SamplingMethod
    /// Whether profiles carry when each sample was taken (``Profile/timeline``), which only a report shows:
    /// it costs 24 bytes a sample, up to its cap.
    public var recordsTimeline: Bool
    /// Whether to record where each thread spends its wall-clock time off the CPU (`--wall`, ``WallRecorder``).
    public var wall: Bool

    public static let `default` = SamplingOptions(rate: 100, stackCopySize: 32 * 1024, maximumFrames: 256, jitter: 0.1,
                                                  method: .automatic, recordsTimeline: false)

    public init(rate: Double, stackCopySize: Int, maximumFrames: Int, jitter: Double, method: SamplingMethod, recordsTimeline: Bool,
                wall: Bool = false) {
        self.rate = rate
        self.stackCopySize = stackCopySize
        self.maximumFrames = maximumFrames
        self.jitter = jitter
        self.method = method
        self.recordsTimeline = recordsTimeline
        self.wall = wall
    }

    /// Nanoseconds of CPU time between samples: exactly with ptrace, on average with perf events (``PeriodJitter``).
    public var period: Int64 { Int64((1e9 / rate).rounded()) }
}
