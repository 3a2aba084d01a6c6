import Binaries
import Glibc
import Profiles
import Symbolization
import Synchronization

/// Raw stacks counted per process image and thread, shared between the tracer thread (which adds) and
/// whoever takes profiles (which symbolizes off the sampling path).
final class ProfileStore: Sendable {
    private struct Image {
        var pid: pid_t
        var executablePath: String
        var modules: ModuleMap
        var threads: [pid_t: Thread] = [:]
        var hasExited = false
    }

    private struct Thread {
        var name: String
        var stacks = StackCounter()
    }

    private struct State {
        var images: [Int: Image] = [:]
        var nextImageID = 0
        var intervalStart: Int64
        var samplesTaken = 0
        var samplesLost = 0
        var samplesMissed = 0
        /// The run's counts so far, for the warning when sampling falls behind.
        var fallingBehind: FallingBehind
        var threadsSeen = 0
        var processesSeen = 0
        var stoppedTimes: [Int64] = []
        var tracerCPUTime: Int64 = 0
        var tracerCPUTimeTaken: Int64 = 0
        var timeline = SampleTimeline()
    }

    private let state: Mutex<State>
    /// Symbolized frames per image and address, kept across profiles: each address is named once.
    private let frames = Mutex<[Int: [UInt64: Frame]]>([:])
    private let symbolizer = Symbolizer()
    private let sampleWeight: Int64
    /// Carries the counts' rounding from one profile to the next, so the run's counts add up to its CPU time.
    private let rounding: Mutex<PeriodRounding>

    init(sampleWeight: Int64, fallingBehind: FallingBehind) {
        self.sampleWeight = sampleWeight
        rounding = Mutex(PeriodRounding(period: sampleWeight))
        state = Mutex(State(intervalStart: Clock.wall(), fallingBehind: fallingBehind))
    }

    func addImage(pid: pid_t, executablePath: String, modules: ModuleMap) -> Int {
        state.withLock { state in
            let id = state.nextImageID
            state.nextImageID += 1
            state.images[id] = Image(pid: pid, executablePath: executablePath, modules: modules)
            return id
        }
    }

    /// New code was mapped (`dlopen`): later frames are named from the new module list.
    func updateModules(imageID: Int, modules: ModuleMap) {
        state.withLock { $0.images[imageID]?.modules = modules }
        frames.withLock { $0[imageID] = nil }
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
    func add(stack: [UInt64], cpuTime: Int64, imageID: Int, tid: pid_t, time: Int64, threadName: () -> String) {
        state.withLock { state in
            state.samplesTaken += 1
            state.fallingBehind.recordTaken()
            let name = threadName()
            state.images[imageID]?.threads[tid, default: Thread(name: name)].name = name
            // The timeline keeps the counter's own copy of the stack: one array per distinct stack, not per sample.
            if let stored = state.images[imageID]?.threads[tid]?.stacks.add(stack, cpuTime: cpuTime),
               let pid = state.images[imageID]?.pid {
                state.timeline.append(SampleTimeline.Sample(time: time, pid: pid, tid: tid, addresses: stored))
            }
        }
    }

    /// Counts samples that could not be read, or whose thread ended mid-sample.
    func recordLost(_ count: Int = 1) {
        state.withLock { state in
            state.samplesLost += count
            state.fallingBehind.recordLost(count)
        }
    }

    /// Counts samples missed while the sampler was behind the requested rate; returns the warning to log
    /// when the misses first warrant one (``FallingBehind``).
    func recordMissed(_ count: Int) -> String? {
        guard count > 0 else { return nil }
        return state.withLock { state in
            state.samplesLost += count
            state.samplesMissed += count
            return state.fallingBehind.recordMissed(count, now: Clock.monotonic())
        }
    }
    func recordStoppedTime(_ nanoseconds: Int64) { state.withLock { $0.stoppedTimes.append(nanoseconds) } }
    func recordThreadSeen() { state.withLock { $0.threadsSeen += 1 } }
    func recordProcessSeen() { state.withLock { $0.processesSeen += 1 } }
    func recordTracerCPUTime(_ total: Int64) { state.withLock { $0.tracerCPUTime = total } }

    /// Everything counted since the previous call, symbolized; exited images are dropped once taken.
    func take() -> Profile {
        let now = Clock.wall()
        let (images, statistics, start, timeline) = state.withLock { state in
            let taken = state.images
            for id in Array(state.images.keys) {
                if state.images[id]!.hasExited {
                    state.images[id] = nil
                } else {
                    state.images[id]!.threads = [:]
                }
            }
            let times = state.stoppedTimes.sorted()
            let statistics = SamplingStatistics(
                samplesTaken: state.samplesTaken, samplesLost: state.samplesLost, samplesMissed: state.samplesMissed,
                threadsSeen: state.threadsSeen, processesSeen: state.processesSeen,
                stoppedTimeP50: Self.percentile(0.50, of: times), stoppedTimeP99: Self.percentile(0.99, of: times),
                tracerCPUTime: state.tracerCPUTime - state.tracerCPUTimeTaken)
            let start = state.intervalStart
            state.intervalStart = now
            state.samplesTaken = 0
            state.samplesLost = 0
            state.samplesMissed = 0
            state.stoppedTimes = []
            state.tracerCPUTimeTaken = state.tracerCPUTime
            let timeline = state.timeline
            state.timeline = SampleTimeline()
            return (taken, statistics, start, timeline)
        }
        let processes = rounding.withLock { rounding in
            images.sorted { $0.key < $1.key }.compactMap { id, image -> ProcessProfile? in
                guard !image.threads.isEmpty else { return nil }
                return symbolize(image, id: id, rounding: &rounding)
            }
        }
        return Profile(startTime: start, endTime: now, sampleWeight: sampleWeight, processes: processes,
                       statistics: statistics, timeline: timeline)
    }

    private func symbolize(_ image: Image, id: Int, rounding: inout PeriodRounding) -> ProcessProfile {
        var cache = frames.withLock { $0[id] ?? [:] }
        let modules = image.modules
        let unnamed = Set(image.threads.values.lazy.flatMap { $0.stacks.cpuTimes.keys.joined() }.filter { cache[$0] == nil })
        var named: [UInt64: Frame] = [:]
        for (address, name) in symbolizer.frameNames(of: unnamed, in: modules, pid: image.pid) {
            let frame = Frame(address: address, mapping: modules.index(containing: address), name: name.name,
                              symbolName: name.symbolName)
            named[address] = frame
            // A frame that a perf map written later may name is looked up again in the next profile.
            if name.isFinal { cache[address] = frame }
        }
        func frame(_ address: UInt64) -> Frame {
            cache[address] ?? named[address] ?? Frame(address: address, mapping: nil, name: Symbolizer.unknown, symbolName: nil)
        }
        let threads = image.threads.sorted { $0.key < $1.key }.map { tid, thread in
            ThreadProfile(tid: tid, name: image.hasExited ? thread.name : ProcessMaps.threadName(pid: image.pid, tid: tid) ?? thread.name, stacks: thread.stacks.cpuTimes.map { stack, cpuTime in
                StackCount(frames: stack.map(frame), count: rounding.periods(in: cpuTime), cpuTime: cpuTime)
            }.sorted { $0.cpuTime > $1.cpuTime })
        }
        frames.withLock { $0[id] = cache }
        let mappings = modules.modules.map {
            Mapping(start: $0.start, end: $0.end, fileOffset: $0.fileOffset, path: $0.path, buildID: $0.buildID)
        }
        return ProcessProfile(pid: image.pid, executablePath: image.executablePath, mappings: mappings, threads: threads)
    }

    private static func percentile(_ fraction: Double, of sorted: [Int64]) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }
}
