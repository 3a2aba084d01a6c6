import Binaries
import Profiles
import Synchronization

/// The symbolization stage, between aggregation and export: names the addresses of each sampled window from
/// the modules of the image that sampled them, and turns the stacks' CPU times into counts.
///
/// Naming happens here, off the sampling path and once per address per image, rather than per sample.
public final class ProfileSymbolizer: Sendable {
    private struct NamedFrames {
        /// The modules the names were found in: code mapped or unmapped since (`dlopen`) names them anew.
        var modules: [ModuleMap.ModuleRange]
        var frames: [UInt64: Frame] = [:]
        /// Frames of code in no file that the process's perf map did not name (yet), until it is read again.
        var unfinal: [UInt64: Frame] = [:]
        /// When the process's perf map was last read.
        var perfMapRead: ContinuousClock.Instant?
    }

    private struct State {
        /// Frames named so far, per image and address; an image's entry is dropped with its last window.
        var named: [Int: NamedFrames] = [:]
        /// Carries the counts' rounding from one window to the next, so the run's counts add up to its CPU time.
        var rounding: PeriodRounding
    }

    private let symbolizer: Symbolizer
    private let sampleWeight: Int64
    private let perfMapRereadInterval: Duration
    private let state: Mutex<State>

    /// - Parameter sampleWeight: the sampling period in nanoseconds of CPU time, what one count stands for.
    /// - Parameter perfMapRereadInterval: how often a live process's perf map is read again for code it has not named
    ///   (a JIT's map grows to hundreds of megabytes; read at every window of a second, a 29 MB one cost hybrid-run
    ///   13 % of a CPU). A process's map is also read in its first window and its last.
    public init(sampleWeight: Int64, symbolizer: Symbolizer = Symbolizer(), perfMapRereadInterval: Duration = .seconds(10)) {
        self.symbolizer = symbolizer
        self.sampleWeight = sampleWeight
        self.perfMapRereadInterval = perfMapRereadInterval
        state = Mutex(State(rounding: PeriodRounding(period: sampleWeight)))
    }

    /// The window's stacks, symbolized; windows must come in the order they were taken. The CPU time of the window's
    /// lost samples that no stack carries is a stack of its own (``ProcessProfile/lostSamples(cpuTime:count:)``).
    public func profile(of window: SampledWindow) -> Profile {
        let processes = state.withLock { state in
            let sampled = window.images.compactMap { image -> ProcessProfile? in
                defer { if image.hasExited { state.named[image.id] = nil } }
                guard !image.threads.isEmpty else { return nil }
                let modules = image.modules.ranges
                if state.named[image.id]?.modules != modules { state.named[image.id] = NamedFrames(modules: modules) }
                return symbolize(image, frames: &state.named[image.id]!, rounding: &state.rounding,
                                 recordsWall: window.statistics.wall != nil)
            }
            let lost = window.statistics.lostCPUTime
            guard lost > 0 else { return sampled }
            return sampled + [.lostSamples(cpuTime: lost, count: state.rounding.periods(in: lost))]
        }
        return Profile(startTime: window.startTime, endTime: window.endTime, sampleWeight: sampleWeight, processes: processes,
                       statistics: window.statistics, timeline: window.timeline)
    }

    /// `profile` with the frames that no file named (`[unknown]`) looked up once more in their process's perf map.
    ///
    /// A runtime writes its map as it compiles, possibly after the window that sampled the code was symbolized; so,
    /// as `perf report` reads the map after the run, the run's profile is named again from it when it is written.
    /// (An entry standing for many processes, pid 0, has no map to read.)
    public func namingLateFrames(in profile: Profile) -> Profile {
        var result = profile
        for index in result.processes.indices where result.processes[index].pid != 0 {
            let unnamed = Set(result.processes[index].threads.lazy.flatMap { $0.stacks.lazy.flatMap(\.frames) }
                .filter { $0.symbolName == nil && $0.name.hasPrefix(Symbolizer.unknown) }.map(\.address))
            guard !unnamed.isEmpty else { continue }
            let names = symbolizer.perfMapNames(of: Array(unnamed), pid: result.processes[index].pid)
            guard !names.isEmpty else { continue }
            for thread in result.processes[index].threads.indices {
                for stack in result.processes[index].threads[thread].stacks.indices {
                    result.processes[index].threads[thread].stacks[stack].frames = result.processes[index].threads[thread].stacks[stack].frames.map { frame in
                        names[frame.address].map { Frame(address: frame.address, mapping: frame.mapping, name: $0, symbolName: $0) } ?? frame
                    }
                }
            }
        }
        return result
    }

    private func symbolize(_ image: SampledImage, frames cache: inout NamedFrames, rounding: inout PeriodRounding,
                           recordsWall: Bool) -> ProcessProfile {
        let modules = image.modules
        let readsPerfMap = image.hasExited || cache.perfMapRead.map { $0.duration(to: .now) >= perfMapRereadInterval } ?? true
        let known = cache
        // Code no perf map named is looked up again only when the map is read again.
        let unnamed = Set(image.threads.values.lazy.flatMap { $0.counters.lazy.flatMap { [$0.stacks.cpuTimes.keys, $0.stacks.offCPUTimes.keys].joined().lazy.flatMap(\.addresses) } }
            .filter { known.frames[$0] == nil && (readsPerfMap || known.unfinal[$0] == nil) })
        for (address, name) in symbolizer.frameNames(of: unnamed, in: modules, pid: image.pid, readingPerfMap: readsPerfMap) {
            let frame = Frame(address: address, mapping: modules.index(containing: address), name: name.name,
                              symbolName: name.symbolName)
            // A frame that a perf map written later may name is looked up again when the map is read again.
            if name.isFinal {
                cache.frames[address] = frame
                cache.unfinal[address] = nil
            } else {
                cache.unfinal[address] = frame
            }
        }
        if readsPerfMap { cache.perfMapRead = .now }
        let cached = cache
        func frame(_ address: UInt64) -> Frame {
            cached.frames[address] ?? cached.unfinal[address] ?? Frame(address: address, mapping: nil, name: Symbolizer.unknown, symbolName: nil)
        }
        let threads = image.threads.sorted { $0.key < $1.key }.map { tid, thread in
            // A live thread may have renamed itself since its last sample.
            let name = image.hasExited ? thread.name : ProcessMaps.threadName(pid: image.pid, tid: tid) ?? thread.name
            return ThreadProfile(tid: tid, name: name, stacks: thread.counters.flatMap { span, counter in
                // Wall time (`--wall`): a stack's CPU time plus the time its thread spent off the CPU in it.
                var stacks = counter.cpuTimes.map { stack, cpuTime in
                    StackCount(frames: stack.addresses.map(frame), count: rounding.periods(in: cpuTime), cpuTime: cpuTime,
                               wallTime: recordsWall ? cpuTime + (counter.offCPUTimes[stack] ?? 0) : 0, span: span)
                }
                if recordsWall {
                    for (stack, offCPU) in counter.offCPUTimes where counter.cpuTimes[stack] == nil {
                        stacks.append(StackCount(frames: stack.addresses.map(frame), count: 0, cpuTime: 0, wallTime: offCPU, span: span))
                    }
                }
                return stacks
            }.sorted { ($0.cpuTime, $0.wallTime) > ($1.cpuTime, $1.wallTime) })
        }
        let mappings = modules.modules.map {
            Mapping(start: $0.start, end: $0.end, fileOffset: $0.fileOffset, path: $0.path, buildID: $0.buildID)
        }
        return ProcessProfile(pid: image.pid, executablePath: image.executablePath, mappings: mappings, threads: threads)
    }
}
