import Binaries
import Glibc
import Profiles
import Symbolization
import Synchronization

/// The aggregation stage: raw stacks counted per process image and thread, shared between the sampler's
/// thread (which adds) and whoever takes windows (which hands them to symbolization, ``ProfileSymbolizer``).
final class ProfileStore: Sendable {
    private struct State {
        var images: [Int: SampledImage] = [:]
        var nextImageID = 0
        var intervalStart: Int64
        var samplesTaken = 0
        var samplesLost = 0
        var samplesMissed = 0
        var lostCPUTime: Int64 = 0
        var sideBandRecordsLost = 0
        var sideBandLossTime: Int64 = 0
        /// The run's counts so far, for the warning when sampling falls behind.
        var fallingBehind: FallingBehind
        var threadsSeen = 0
        var processesSeen = 0
        var stoppedTimes: [Int64] = []
        var tracerCPUTime: Int64 = 0
        var tracerCPUTimeTaken: Int64 = 0
        var timeline = SampleTimeline()
        /// This window's wall-time counts; `nil` when wall time is not recorded (`--wall` off or dropped).
        var wall: WallStatistics?
    }

    private let state: Mutex<State>
    /// Where the processes' thread-context readers count samples whose span they could not read.
    let spanReadFailures = SpanReadFailureCounter()
    /// Whether samples go on the timeline too (only a report shows it: it costs 24 bytes a sample).
    private let recordsTimeline: Bool

    init(fallingBehind: FallingBehind, recordsTimeline: Bool, recordsWall: Bool = false) {
        self.recordsTimeline = recordsTimeline
        state = Mutex(State(intervalStart: Clock.wall(), fallingBehind: fallingBehind, wall: recordsWall ? WallStatistics() : nil))
    }

    func addImage(pid: pid_t, executablePath: String, modules: ModuleMap) -> Int {
        state.withLock { state in
            let id = state.nextImageID
            state.nextImageID += 1
            state.images[id] = SampledImage(id: id, pid: pid, executablePath: executablePath, modules: modules, threads: [:], hasExited: false)
            return id
        }
    }

    /// New code was mapped (`dlopen`): later frames are named from the new module list.
    func updateModules(imageID: Int, modules: ModuleMap) {
        state.withLock { $0.images[imageID]?.modules = modules }
    }

    /// The program's path, learnt after the image was first sampled (see ``PerfSampler``).
    func imageNamed(_ imageID: Int, executablePath: String) {
        state.withLock { $0.images[imageID]?.executablePath = executablePath }
    }

    func imageExited(_ imageID: Int) {
        state.withLock { $0.images[imageID]?.hasExited = true }
    }

    /// Counts a sample taken at `time` (wall clock ns) standing for `cpuTime` nanoseconds of CPU: one period for
    /// perf events, for ptrace the CPU time the thread used since its previous sample.
    /// - Parameter threadName: the thread's name now, asked at every sample (it must be cheap): a thread usually
    ///   names itself first thing, but on a busy machine it can be sampled before, under its creator's name,
    ///   and a thread that has ended keeps the last name seen.
    /// - Parameter span: the span the thread was in; its stacks are counted apart from the same stacks in other spans.
    /// - Returns: whether the image was still held (an exited one is given up at the window after its exit); the
    ///   sample is taken only then.
    @discardableResult
    func add(stack: [UInt64], cpuTime: Int64, imageID: Int, tid: pid_t, time: Int64, span: SpanLabels? = nil, threadName: () -> String) -> Bool {
        state.withLock { state in
            let name = threadName()
            // One lookup of the image and the thread per sample (three took 6 % of the perf-event reader at 1 kHz).
            guard let (pid, stored) = state.images[imageID]?.add(stack, cpuTime: cpuTime, tid: tid, threadName: name, span: span) else {
                return false
            }
            state.samplesTaken += 1
            state.fallingBehind.recordTaken()
            // The timeline keeps the counter's own copy of the stack: one array per distinct stack, not per sample.
            if recordsTimeline { state.timeline.append(SampleTimeline.Sample(time: time, pid: pid, tid: tid, addresses: stored)) }
            return true
        }
    }

    /// Counts `nanoseconds` of off-CPU time (`--wall`) at `stack` in `span` (as ``add(stack:cpuTime:imageID:tid:time:span:threadName:)``
    /// counts CPU samples), with `update` applied to the window's wall counts.
    func addOffCPU(stack: [UInt64], nanoseconds: Int64, imageID: Int, tid: pid_t, span: SpanLabels?, threadName: () -> String,
                   update: (inout WallStatistics) -> Void) {
        state.withLock { state in
            guard state.wall != nil, state.images[imageID] != nil else { return }
            update(&state.wall!)
            state.images[imageID]!.threads[tid, default: SampledThread(name: threadName())].addOffCPU(stack, nanoseconds: nanoseconds, span: span)
        }
    }

    /// Applies `update` to the window's wall counts, when wall time is recorded.
    func recordWall(_ update: (inout WallStatistics) -> Void) {
        state.withLock { state in
            if state.wall != nil { update(&state.wall!) }
        }
    }

    /// Wall time cannot be recorded after all (the kernel or `/proc` refused): the profile is CPU only.
    func dropWall() { state.withLock { $0.wall = nil } }

    /// Counts samples that could not be read, or whose thread ended mid-sample.
    /// - Parameter cpuTime: the CPU time they stood for that no later sample carries (``SamplingStatistics/lostCPUTime``).
    func recordLost(_ count: Int = 1, cpuTime: Int64 = 0) {
        state.withLock { state in
            state.samplesLost += count
            state.lostCPUTime += cpuTime
            state.fallingBehind.recordLost(count)
        }
    }

    /// Counts samples missed while the sampler was behind the requested rate; returns the warning to log
    /// when the misses first warrant one (``FallingBehind``).
    /// - Parameter cpuTime: as for ``recordLost(_:cpuTime:)``.
    func recordMissed(_ count: Int, cpuTime: Int64 = 0) -> String? {
        guard count > 0 else { return nil }
        return state.withLock { state in
            state.samplesLost += count
            state.lostCPUTime += cpuTime
            state.samplesMissed += count
            return state.fallingBehind.recordMissed(count, now: Clock.monotonic())
        }
    }

    /// Counts side-band records the kernel dropped over `nanoseconds` (``SamplingStatistics/sideBandRecordsLost``).
    func recordSideBandLost(_ count: Int, over nanoseconds: Int64) {
        state.withLock { state in
            state.sideBandRecordsLost += count
            state.sideBandLossTime += nanoseconds
        }
    }

    func recordStoppedTime(_ nanoseconds: Int64) { state.withLock { $0.stoppedTimes.append(nanoseconds) } }
    func recordThreadSeen() { state.withLock { $0.threadsSeen += 1 } }
    func recordProcessSeen() { state.withLock { $0.processesSeen += 1 } }
    func recordTracerCPUTime(_ total: Int64) { state.withLock { $0.tracerCPUTime = total } }

    /// Everything counted since the previous call; exited images are dropped once taken.
    func take() -> SampledWindow {
        let now = Clock.wall()
        return state.withLock { state in
            let images = state.images.values.sorted { $0.id < $1.id }
            for image in images {
                if image.hasExited {
                    state.images[image.id] = nil
                } else {
                    state.images[image.id]!.threads = [:]
                }
            }
            let times = state.stoppedTimes.sorted()
            let statistics = SamplingStatistics(
                samplesTaken: state.samplesTaken, samplesLost: state.samplesLost, samplesMissed: state.samplesMissed,
                lostCPUTime: state.lostCPUTime, sideBandRecordsLost: state.sideBandRecordsLost, sideBandLossTime: state.sideBandLossTime,
                threadsSeen: state.threadsSeen, processesSeen: state.processesSeen,
                stoppedTimeP50: Self.percentile(0.50, of: times), stoppedTimeP99: Self.percentile(0.99, of: times),
                tracerCPUTime: state.tracerCPUTime - state.tracerCPUTimeTaken, wall: state.wall,
                spanReadFailures: spanReadFailures.take())
            let window = SampledWindow(startTime: state.intervalStart, endTime: now, images: images, statistics: statistics,
                                       timeline: state.timeline)
            state.intervalStart = now
            state.samplesTaken = 0
            state.samplesLost = 0
            state.samplesMissed = 0
            state.lostCPUTime = 0
            state.sideBandRecordsLost = 0
            state.sideBandLossTime = 0
            state.stoppedTimes = []
            state.tracerCPUTimeTaken = state.tracerCPUTime
            state.timeline = SampleTimeline()
            if state.wall != nil { state.wall = WallStatistics() }
            return window
        }
    }

    private static func percentile(_ fraction: Double, of sorted: [Int64]) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }
}
