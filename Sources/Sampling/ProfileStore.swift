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

    init(sampleWeight: Int64) {
        self.sampleWeight = sampleWeight
        state = Mutex(State(intervalStart: Clock.wall()))
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

    /// A sample's stack. Its time is when it is stored: for perf events within the reader's drain delay of when the
    /// kernel took it (milliseconds), for ptrace the moment it was copied.
    /// - Parameter threadName: the thread's name now, asked at every sample (it must be cheap): a thread usually
    ///   names itself first thing, but on a busy machine it can be sampled before, under its creator's name,
    ///   and a thread that has ended keeps the last name seen.
    /// Counts a sample taken at `time` (wall clock ns).
    func add(stack: [UInt64], imageID: Int, tid: pid_t, time: Int64, threadName: () -> String) {
        state.withLock { state in
            state.samplesTaken += 1
            let name = threadName()
            state.images[imageID]?.threads[tid, default: Thread(name: name)].name = name
            // The timeline keeps the counter's own copy of the stack: one array per distinct stack, not per sample.
            if let stored = state.images[imageID]?.threads[tid]?.stacks.add(stack), let pid = state.images[imageID]?.pid {
                state.timeline.append(SampleTimeline.Sample(time: time, pid: pid, tid: tid, addresses: stored))
            }
        }
    }

    func recordLost(_ count: Int = 1) { state.withLock { $0.samplesLost += count } }
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
                samplesTaken: state.samplesTaken, samplesLost: state.samplesLost,
                threadsSeen: state.threadsSeen, processesSeen: state.processesSeen,
                stoppedTimeP50: Self.percentile(0.50, of: times), stoppedTimeP99: Self.percentile(0.99, of: times),
                tracerCPUTime: state.tracerCPUTime - state.tracerCPUTimeTaken)
            let start = state.intervalStart
            state.intervalStart = now
            state.samplesTaken = 0
            state.samplesLost = 0
            state.stoppedTimes = []
            state.tracerCPUTimeTaken = state.tracerCPUTime
            let timeline = state.timeline
            state.timeline = SampleTimeline()
            return (taken, statistics, start, timeline)
        }
        let processes = images.sorted { $0.key < $1.key }.compactMap { id, image -> ProcessProfile? in
            guard !image.threads.isEmpty else { return nil }
            return symbolize(image, id: id)
        }
        return Profile(startTime: start, endTime: now, sampleWeight: sampleWeight, processes: processes,
                       statistics: statistics, timeline: timeline)
    }

    private func symbolize(_ image: Image, id: Int) -> ProcessProfile {
        var cache = frames.withLock { $0[id] ?? [:] }
        let modules = image.modules
        let unnamed = Set(image.threads.values.lazy.flatMap { $0.stacks.counts.keys.joined() }.filter { cache[$0] == nil })
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
            ThreadProfile(tid: tid, name: image.hasExited ? thread.name : ProcessMaps.threadName(pid: image.pid, tid: tid) ?? thread.name, stacks: thread.stacks.counts.map { stack, count in
                StackCount(frames: stack.map(frame), count: count)
            }.sorted { $0.count > $1.count })
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
