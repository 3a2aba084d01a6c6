import Profiles

/// The lines hybrid-run prints on stderr when it wrote profiles: what was sampled and where the time went.
public enum ProfileSummary {
    /// - Parameter topFunctions: how many functions to list by self time.
    public static func lines(_ profile: Profile, topFunctions: Int = 10) -> [String] {
        let statistics = profile.statistics
        let total = profile.totalSamples
        var lines = ["profile: \(statistics.samplesText), \(statistics.threadsSeen) threads and \(statistics.processesSeen) processes seen"]
        if statistics.sideBandRecordsLost > 0 {
            let kinds = statistics.wall == nil ? "forks, execs, exits and mappings" : "context switches, forks, execs, exits and mappings"
            lines.append("profile: \(statistics.sideBandRecordsLost) records of \(kinds) lost from full buffers over \(seconds(statistics.sideBandLossTime)) s "
                + "of the CPUs' time: no samples, no CPU time counted for them")
        }
        if statistics.samplesTaken > 0 {
            let cpu = microseconds(statistics.tracerCPUTime / Int64(statistics.samplesTaken))
            if let p50 = statistics.stoppedTimeP50, let p99 = statistics.stoppedTimeP99 {
                lines.append("profile: threads stopped \(microseconds(p50)) µs per sample (p50), \(microseconds(p99)) µs (p99); "
                    + "tracer CPU \(cpu) µs per sample")
            } else {
                lines.append("profile: no thread stopped (the kernel copied the stacks); reader CPU \(cpu) µs per sample")
            }
        }
        lines += wallLines(profile, topStacks: topFunctions)
        guard total > 0 else { return lines }
        lines += spanLines(profile, topSpans: topFunctions)
        if let failures = statistics.spanReadFailures.text { lines.append("spans: \(failures)") }
        lines.append("profile: top functions by self time:")
        for function in profile.functionsBySelfTime().prefix(topFunctions) where function.selfSamples > 0 {
            let share = Double(function.selfSamples) * 100 / Double(total)
            let percent = (share * 10).rounded() / 10
            lines.append("  \(percent)%  \(function.selfSamples)  \(function.name)")
        }
        return lines
    }

    /// With `--wall`: how much of the wall time was spent off the CPU, per process, and where (`wall − cpu` per stack:
    /// blocked, runnable waiting for a CPU after running it, or held stopped by the ptrace sampler).
    private static func wallLines(_ profile: Profile, topStacks: Int) -> [String] {
        guard let wall = profile.statistics.wall else { return [] }
        let total = profile.totalWallTime
        // Lost samples' CPU time has no wall time beside it: it is in no thread's stack.
        let offCPU = total - (profile.totalCPUTime - profile.statistics.lostCPUTime)
        let perProcess = profile.processes.compactMap { process -> String? in
            let stacks = process.threads.lazy.flatMap(\.stacks)
            let processWall = stacks.reduce(0) { $0 + $1.wallTime }
            guard processWall > 0 else { return nil }
            let processCPU = stacks.reduce(0) { $0 + $1.cpuTime }
            let name = process.pid == 0 ? "\(process.executableName) (\(process.processCount) processes)" : "\(process.executableName)[\(process.pid)]"
            return "  \(name)  wall \(seconds(processWall)) s  off-CPU \(percent(processWall - processCPU, of: processWall)) %  (\(process.threads.count) threads)"
        }
        var lines = ["wall: \(seconds(total)) s of thread time, \(percent(offCPU, of: total)) % off-CPU (blocked \(seconds(wall.blockedTime)) s "
            + "in \(wall.blockedIntervals) intervals, \(wall.observedIntervals) with their own stack; waiting for a CPU \(seconds(wall.runQueueTime)) s; "
            + "running unsampled \(seconds(wall.unsampledRunTime)) s"
            + (wall.stoppedTime > 0 ? "; held stopped to be sampled \(seconds(wall.stoppedTime)) s)" : ")")
            + (perProcess.isEmpty ? "" : "; per process:")] + perProcess
        // Only the stacks with off-CPU time are gathered, not all of the run's.
        var stacks: [(offCPU: Int64, frames: [Frame], thread: String)] = []
        for process in profile.processes {
            for thread in process.threads {
                for stack in thread.stacks where stack.wallTime > stack.cpuTime {
                    stacks.append((stack.wallTime - stack.cpuTime, stack.frames, thread.name))
                }
            }
        }
        stacks.sort { $0.offCPU > $1.offCPU }
        if !stacks.isEmpty { lines.append("wall: top off-CPU stacks:") }
        for stack in stacks.prefix(topStacks) {
            let names = stack.frames.prefix(4).map(\.name).joined(separator: " ← ")
            lines.append("  \(seconds(stack.offCPU)) s  \(percent(stack.offCPU, of: total)) %  \(names)  [\(stack.thread)]")
        }
        if profile.statistics.sideBandRecordsLost > 0 {
            lines.append("wall: context-switch records lost over \(seconds(profile.statistics.sideBandLossTime)) s: threads' time off and on the CPU "
                + "across them is counted from their records either side, not measured")
        }
        lines.append("wall: \(wall.probes) blocked stacks read (\(wall.probesFailed) found the thread awake), \(wall.switchRecords) switch records; "
            + "\(seconds(wall.estimatedTime)) s of short blocks counted at the thread's previous blocked stack, \(seconds(wall.unattributedTime)) s with no stack")
        return lines
    }

    /// Which operation is hot: the samples of threads that published their active span (OTEP 4947 thread context) by
    /// span name, since a name stands for one operation however many times it ran (a span without a name by its id).
    /// With `--wall`, each span's wall time too, off-CPU time included where it carries the span.
    private static func spanLines(_ profile: Profile, topSpans: Int) -> [String] {
        var bySpan: [String: (samples: Int, wallTime: Int64, spanIDs: Set<String>)] = [:]
        // Lazily: the run's stacks gathered into one array were a fifth of a build's peak heap, at its end.
        for stack in profile.processes.lazy.flatMap(\.threads).flatMap(\.stacks) {
            guard let span = stack.span else { continue }
            let name = span.name ?? "span \(span.spanID)"
            bySpan[name, default: (0, 0, [])].samples += stack.count
            bySpan[name, default: (0, 0, [])].wallTime += stack.wallTime
            bySpan[name, default: (0, 0, [])].spanIDs.insert(span.spanID)
        }
        let inSpans = bySpan.values.reduce(0) { $0 + $1.samples }
        guard inSpans > 0 else { return [] }
        let total = profile.totalSamples
        var lines = ["spans: \(percent(Int64(inSpans), of: Int64(total))) % of samples ran in spans their threads published; top spans by CPU:"]
        for (name, span) in bySpan.sorted(by: { ($0.value.samples, $1.key) > ($1.value.samples, $0.key) }).prefix(topSpans) where span.samples > 0 {
            let wall = profile.hasWall ? "  wall \(seconds(span.wallTime)) s" : ""
            let count = span.spanIDs.count == 1 ? "1 span" : "\(span.spanIDs.count) spans"
            lines.append("  \(percent(Int64(span.samples), of: Int64(total)))%  \(span.samples)  \(name)  (\(count))\(wall)")
        }
        return lines
    }

    private static func seconds(_ nanoseconds: Int64) -> String {
        String((Double(nanoseconds) / 1e7).rounded() / 100)
    }

    private static func percent(_ part: Int64, of whole: Int64) -> String {
        String((Double(part) * 1000 / Double(max(1, whole))).rounded() / 10)
    }

    private static func microseconds(_ nanoseconds: Int64) -> String {
        String((Double(nanoseconds) / 100).rounded() / 10)
    }
}
