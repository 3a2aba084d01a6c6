/// Successive windows of one run (each window's profile) added up into the run's whole profile, for the local files
/// and the summary written at exit.
extension Profile {
    /// The processes a run's profile keeps apart, each under its pid: the first to be sampled. Every later
    /// process is counted under its program (pid 0, ``ProcessProfile/countedPIDs``), so that a build of
    /// thousands of short processes takes the memory of its few programs, not of its every process.
    public static let processesKeptApart = 256

    /// The frames that merges moved into program entries, by value: a frame moved again, in any later window, is
    /// the one moved first. Held by whoever merges a run's windows, across its merges.
    ///
    /// ``Frame`` is one reference to shared storage, but moving a frame gives it storage of its own; shared only
    /// within one merge, each window gave the run's program entries a copy of every frame its processes ran in
    /// (BENCHMARKS.md, "Peak memory of a build: windows, merges and the end"). It holds no frame the run's profile does not
    /// hold: only program entries' stacks are moved, and a run's profile only grows.
    public struct MovedFrames: Sendable {
        fileprivate var frames: [Frame: Frame] = [:]

        public init() {}
    }

    /// `self` followed by `later` (``merge(_:sharing:)``), for profiles merged once.
    public func merged(with later: Profile) -> Profile {
        var result = self
        var moves = MovedFrames()
        result.merge(later, sharing: &moves)
        return result
    }

    /// Adds `later`: same processes (pid and executable) and threads merged, identical stacks added, mappings
    /// re-indexed, the time range widened, the counts summed and the timelines appended. Beyond
    /// ``processesKeptApart`` processes, a new one is added to its program's entry.
    ///
    /// In place: a run's profile merged as a new value was copied at every merge while the old one was still held.
    public mutating func merge(_ later: Profile, sharing moves: inout MovedFrames) {
        startTime = min(startTime, later.startTime)
        endTime = max(endTime, later.endTime)
        struct Key: Hashable {
            var pid: Int32
            var executablePath: String
        }
        // Indexed, not searched: a build merges thousands of processes, window after window.
        var positions = Dictionary(processes.enumerated().map { (Key(pid: $1.pid, executablePath: $1.executablePath), $0) },
                                   uniquingKeysWith: { first, _ in first })
        var keptApart = processes.count { $0.pid != 0 }
        // Counted under their programs after the loop, all of a program's at once: its entry's stacks are indexed
        // once per merge, not once per process (a build's program entry holds thousands of stacks, and its every
        // cc1 re-indexed them: a third of the end of a 200-file build, BENCHMARKS.md).
        var counted: [Int: [ProcessProfile]] = [:]
        for process in later.processes {
            let key = Key(pid: process.pid, executablePath: process.executablePath)
            if let index = positions[key] {
                processes[index].merge(process)
            } else if keptApart < Self.processesKeptApart {
                keptApart += 1
                positions[key] = processes.count
                processes.append(process)
            } else {
                let programKey = Key(pid: 0, executablePath: process.executablePath)
                let index = positions[programKey] ?? {
                    positions[programKey] = processes.count
                    processes.append(ProcessProfile(pid: 0, executablePath: process.executablePath, mappings: [], threads: []))
                    return processes.count - 1
                }()
                counted[index, default: []].append(process)
            }
        }
        for (index, group) in counted { processes[index].count(group, sharing: &moves.frames) }
        statistics = statistics.merged(with: later.statistics)
        timeline.append(contentsOf: later.timeline)
    }
}

extension ProcessProfile {
    mutating func merge(_ later: ProcessProfile) {
        countedPIDs.formUnion(later.countedPIDs)
        var remap: [Int: Int] = [:]
        for (index, mapping) in later.mappings.enumerated() {
            if let existing = mappings.firstIndex(of: mapping) {
                remap[index] = existing
            } else {
                remap[index] = mappings.count
                mappings.append(mapping)
            }
        }
        for thread in later.threads {
            let stacks = thread.stacks.map { stack in
                StackCount(frames: stack.frames.map { frame in
                    var frame = frame
                    frame.mapping = frame.mapping.flatMap { remap[$0] }
                    return frame
                }, count: stack.count, cpuTime: stack.cpuTime, wallTime: stack.wallTime, span: stack.span)
            }
            if let index = threads.firstIndex(where: { $0.tid == thread.tid }) {
                threads[index].add(stacks)
                // A thread is named by the last name seen, as within a window (`SampledThread.named`).
                if !thread.name.isEmpty { threads[index].name = thread.name }
            } else {
                threads.append(ThreadProfile(tid: thread.tid, name: thread.name, stacks: stacks))
            }
        }
    }
}

extension ProcessProfile {
    /// Adds other processes of this entry's program: their threads by name (tid 0), their frames moved to where this
    /// entry has the same module, so that the processes' identical stacks add up whatever their load addresses.
    ///
    /// A moved frame equal to one moved before (by any merge, from any process: ``Profile/MovedFrames``) is that
    /// one, so that every stack of a build's thousands of processes does not have frames of its own (9 MB of a
    /// 2,000-file build's peak, BENCHMARKS.md "Scale").
    mutating func count(_ processes: [ProcessProfile], sharing moves: inout [Frame: Frame]) {
        var names: [String] = []
        var stacksByName: [String: [StackCount]] = [:]
        for process in processes {
            for (name, stacks) in moved(process, sharing: &moves) {
                if stacksByName[name] == nil { names.append(name) }
                stacksByName[name, default: []].append(contentsOf: stacks)
            }
        }
        for name in names {
            let index = threads.firstIndex { $0.name == name } ?? {
                threads.append(ThreadProfile(tid: 0, name: name, stacks: []))
                return threads.count - 1
            }()
            threads[index].add(stacksByName[name]!)
        }
    }

    /// `process`'s stacks per thread name, its mappings added to this entry's and its frames moved onto them.
    private mutating func moved(_ process: ProcessProfile, sharing moves: inout [Frame: Frame]) -> [(name: String, stacks: [StackCount])] {
        countedPIDs.insert(process.pid)
        var moved: [Int: (index: Int, offset: UInt64)] = [:]
        for (index, mapping) in process.mappings.enumerated() {
            let same = mappings.firstIndex { $0.path == mapping.path && $0.buildID == mapping.buildID && $0.fileOffset == mapping.fileOffset }
            let target = same ?? mappings.count
            if same == nil { mappings.append(mapping) }
            moved[index] = (target, mappings[target].start &- mapping.start)
        }
        return process.threads.map { thread in
            (thread.name, thread.stacks.map { stack in
                StackCount(frames: stack.frames.map { frame in
                    guard let mapping = frame.mapping, let move = moved[mapping] else { return frame }
                    var movedFrame = frame
                    movedFrame.mapping = move.index
                    movedFrame.address &+= move.offset
                    if let known = moves[movedFrame] { return known }
                    moves[movedFrame] = movedFrame
                    return movedFrame
                }, count: stack.count, cpuTime: stack.cpuTime, wallTime: stack.wallTime, span: stack.span)
            })
        }
    }
}

extension ThreadProfile {
    mutating func add(_ more: [StackCount]) {
        struct Key: Hashable {
            var frames: [Frame]
            var span: SpanLabels?
        }
        var positions = Dictionary(uniqueKeysWithValues: stacks.enumerated().map { (Key(frames: $1.frames, span: $1.span), $0) })
        for stack in more {
            let key = Key(frames: stack.frames, span: stack.span)
            if let position = positions[key] {
                stacks[position].count += stack.count
                stacks[position].cpuTime += stack.cpuTime
                stacks[position].wallTime += stack.wallTime
            } else {
                positions[key] = stacks.count
                stacks.append(stack)
            }
        }
    }
}

extension SamplingStatistics {
    /// Sample counts and tracer CPU time are per window and add up; the seen-counts are running totals, so the
    /// later ones stand. Windows keep percentiles, not the stopped times behind them, so the run's p50 is the
    /// windows' p50s weighted by their samples and its p99 the largest window p99 (an upper bound).
    func merged(with later: SamplingStatistics) -> SamplingStatistics {
        let weighted: Int64? = switch (stoppedTimeP50, later.stoppedTimeP50) {
        case let (earlier?, latest?):
            (earlier * Int64(samplesTaken) + latest * Int64(later.samplesTaken)) / Int64(max(1, samplesTaken + later.samplesTaken))
        case let (earlier, latest): earlier ?? latest
        }
        return SamplingStatistics(
            samplesTaken: samplesTaken + later.samplesTaken,
            samplesLost: samplesLost + later.samplesLost,
            samplesMissed: samplesMissed + later.samplesMissed,
            lostCPUTime: lostCPUTime + later.lostCPUTime,
            sideBandRecordsLost: sideBandRecordsLost + later.sideBandRecordsLost,
            sideBandLossTime: sideBandLossTime + later.sideBandLossTime,
            threadsSeen: max(threadsSeen, later.threadsSeen),
            processesSeen: max(processesSeen, later.processesSeen),
            stoppedTimeP50: weighted,
            stoppedTimeP99: [stoppedTimeP99, later.stoppedTimeP99].compactMap { $0 }.max(),
            tracerCPUTime: tracerCPUTime + later.tracerCPUTime,
            wall: wall.map { earlier in later.wall.map(earlier.merged) ?? earlier } ?? later.wall,
            spanReadFailures: spanReadFailures + later.spanReadFailures
        )
    }
}
