import OTLPProfileExport
import Profiles
import ProfileExport
import PyroscopeExport
import Sampling
import Synchronization
import _CProcessShims

/// Takes the profiler's profile every upload interval (every ``localWindow`` when nothing is shipped), ships each
/// window to Pyroscope or over OTLP, and adds the windows up into the run's whole profile for the local files and
/// the summary.
///
/// A window with no samples is not shipped: it would only add an empty point to the series. With `--wall`, a
/// window's wall profile is shipped beside its CPU one.
final class ProfileCollector: Sendable {
    private let profiler: Profiler
    private let uploader: PyroscopeUploader?
    private let otlpExporter: OTLPProfileExporter?
    /// The span OTLP samples of threads that published none link to (the root span), nil without one.
    private let spanLink: SpanLink?
    private let correlation: Correlation?
    private let sampleRate: Int
    private let run = Mutex<(profile: Profile?, moves: Profile.MovedFrames)>((nil, Profile.MovedFrames()))
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(profiler: Profiler, uploader: PyroscopeUploader?, otlpExporter: OTLPProfileExporter?, spanLink: SpanLink?, correlation: Correlation?, sampleRate: Int) {
        self.profiler = profiler
        self.uploader = uploader
        self.otlpExporter = otlpExporter
        self.spanLink = spanLink
        self.correlation = correlation
        self.sampleRate = sampleRate
    }

    /// How often a window is taken when none is shipped. A window holds each of its processes apart, with frames
    /// of its own, until it is merged into the run's profile, where processes beyond the first few hundred are
    /// counted under their program: ten seconds of a build's thousands of processes were a third of hybrid-run's
    /// peak heap (BENCHMARKS.md, "Peak memory of a build: windows, merges and the end"). A window costs a merge
    /// (indexing each merged thread's stacks so far), each live thread's name read again, and the perf map of a
    /// process with code in no file read again for what it has not named yet.
    static let localWindow = Duration.seconds(1)

    /// How often freed memory is given back to the system (``collect()``): `malloc_trim` walks the heap under its lock.
    private static let trimInterval = Duration.seconds(10)
    private let lastTrim = Mutex(ContinuousClock.now)

    /// Starts taking windows while the command runs, shipped or not, every `uploadInterval` when they are shipped
    /// and every ``localWindow`` otherwise: each window symbolizes the processes that exited in it and forgets
    /// them, so a build of thousands of processes is never held whole.
    func start(uploadInterval: Duration) {
        let interval = uploader == nil && otlpExporter == nil ? Self.localWindow : uploadInterval
        let task = Task { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                collect()
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Takes the last window (the command has exited) and returns the run's whole profile, its frames named from
    /// perf maps written since their window (``Profiler/namingLateFrames(in:)``).
    ///
    /// A window being taken by the ticker is waited for: windows must be merged, and symbolized, in order.
    func finish() async -> Profile? {
        let task = ticker.withLock { $0 }
        task?.cancel()
        await task?.value
        // Trimmed now whatever the time since the last trim: the run's files are encoded next, at its peak.
        collect(trimming: true)
        return run.withLock { $0.profile }.map { profiler.namingLateFrames(in: $0) }
    }

    /// - Parameter trimming: whether to give freed memory back even before ``trimInterval`` has passed.
    private func collect(trimming: Bool = false) {
        let window = profiler.takeProfile()
        run.withLock { run in
            if run.profile == nil {
                run.profile = Profile(startTime: window.startTime, endTime: window.endTime, sampleWeight: window.sampleWeight,
                                      processes: [], statistics: SamplingStatistics())
            }
            run.profile!.merge(window, sharing: &run.moves)
        }
        // The window's raw stacks, its symbolization and the merge were freed just now; glibc keeps freed memory in
        // its arena for reuse (one arena: `main` limits it), and a build of thousands of processes left it at its
        // busiest window's size (measured with an arena per thread: 128 MB held for 54 MB in use). Give it back
        // every ``trimInterval``, not per allocation nor per second's window.
        let trimDue = lastTrim.withLock { last in
            guard trimming || last.duration(to: .now) >= Self.trimInterval else { return false }
            last = .now
            return true
        }
        if trimDue { hr_release_free_memory() }
        let sampleLabels = correlation?.sampleLabels ?? [:]
        // With `--wall`, the OTLP request carries the wall profile beside the CPU one: a window of threads that only
        // waited has one even without CPU samples.
        if window.totalSamples > 0 || window.totalWallTime > 0 {
            let rootSpan = self.spanLink
            // A stack counted under a span its thread published (OTEP 4947) links to that span, as its pprof labels name it.
            otlpExporter?.export(window) { stack in stack.span.flatMap { SpanLink(traceID: $0.traceID, spanID: $0.spanID) } ?? rootSpan }
        }
        // Without Pyroscope nothing is encoded: each window's pprof and gzip were made and dropped (43 % of the end of
        // a 200-file build's run, BENCHMARKS.md).
        guard uploader != nil else { return }
        if window.totalSamples > 0 {
            // Per-span labels go with trace correlation, as the root span's do (PYROSCOPE_TRACE_CORRELATION).
            upload(PprofEncoder.encode(window, sampleLabels: sampleLabels, threadNames: false, includeWall: false, spans: correlation != nil), of: window)
        }
        // With `--wall`, the wall profile is an upload of its own (Pyroscope files a pprof by its sample types), with the
        // same labels; a window of threads that only waited (on a server, a lock) has one even without CPU samples.
        if window.totalWallTime > 0 {
            upload(PprofEncoder.encodeWall(window, sampleLabels: sampleLabels, threadNames: false, spans: correlation != nil), of: window)
        }
    }

    private func upload(_ profile: [UInt8], of window: Profile) {
        let sampleLabels = correlation?.sampleLabels ?? [:]
        uploader?.enqueue(PyroscopeUpload(
            profile: profile, startTime: window.startTime, endTime: window.endTime, sampleRate: sampleRate,
            labels: correlation?.uploadLabels ?? [],
            sampleLabelNames: PprofEncoder.stringLabelNames(of: window, sampleLabels: sampleLabels, threadNames: false, spans: correlation != nil)
        ))
    }
}
