/// Successive windows of one run (each upload interval's profile) added up into the run's whole profile,
/// for the local files and the summary written at exit.
extension Profile {
    /// `self` followed by `later`: same processes (pid and executable) and threads merged, identical stacks
    /// added, mappings re-indexed, the time range widened, the counts summed and the timelines appended.
    public func merged(with later: Profile) -> Profile {
        var result = self
        result.startTime = min(startTime, later.startTime)
        result.endTime = max(endTime, later.endTime)
        for process in later.processes {
            if let index = result.processes.firstIndex(where: { $0.pid == process.pid && $0.executablePath == process.executablePath }) {
                result.processes[index] = result.processes[index].merged(with: process)
            } else {
                result.processes.append(process)
            }
        }
        result.statistics = statistics.merged(with: later.statistics)
        result.timeline = timeline.appending(later.timeline)
        return result
    }
}

extension ProcessProfile {
    func merged(with later: ProcessProfile) -> ProcessProfile {
        var result = self
        var remap: [Int: Int] = [:]
        for (index, mapping) in later.mappings.enumerated() {
            if let existing = result.mappings.firstIndex(of: mapping) {
                remap[index] = existing
            } else {
                remap[index] = result.mappings.count
                result.mappings.append(mapping)
            }
        }
        for thread in later.threads {
            let stacks = thread.stacks.map { stack in
                StackCount(frames: stack.frames.map { frame in
                    var frame = frame
                    frame.mapping = frame.mapping.flatMap { remap[$0] }
                    return frame
                }, count: stack.count, cpuTime: stack.cpuTime)
            }
            if let index = result.threads.firstIndex(where: { $0.tid == thread.tid }) {
                result.threads[index].add(stacks)
            } else {
                result.threads.append(ThreadProfile(tid: thread.tid, name: thread.name, stacks: stacks))
            }
        }
        return result
    }
}

extension ThreadProfile {
    mutating func add(_ more: [StackCount]) {
        var positions = Dictionary(uniqueKeysWithValues: stacks.enumerated().map { ($1.frames, $0) })
        for stack in more {
            if let position = positions[stack.frames] {
                stacks[position].count += stack.count
                stacks[position].cpuTime += stack.cpuTime
            } else {
                positions[stack.frames] = stacks.count
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
            threadsSeen: max(threadsSeen, later.threadsSeen),
            processesSeen: max(processesSeen, later.processesSeen),
            stoppedTimeP50: weighted,
            stoppedTimeP99: [stoppedTimeP99, later.stoppedTimeP99].compactMap { $0 }.max(),
            tracerCPUTime: tracerCPUTime + later.tracerCPUTime
        )
    }
}
