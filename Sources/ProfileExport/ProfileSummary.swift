import Profiles

/// The lines hybrid-run prints on stderr when it wrote profiles: what was sampled and where the time went.
public enum ProfileSummary {
    /// - Parameter topFunctions: how many functions to list by self time.
    public static func lines(_ profile: Profile, topFunctions: Int = 10) -> [String] {
        let statistics = profile.statistics
        let total = profile.totalSamples
        var lines = ["profile: \(statistics.samplesText), \(statistics.threadsSeen) threads and \(statistics.processesSeen) processes seen"]
        if statistics.samplesTaken > 0 {
            let cpu = microseconds(statistics.tracerCPUTime / Int64(statistics.samplesTaken))
            if let p50 = statistics.stoppedTimeP50, let p99 = statistics.stoppedTimeP99 {
                lines.append("profile: threads stopped \(microseconds(p50)) µs per sample (p50), \(microseconds(p99)) µs (p99); "
                    + "tracer CPU \(cpu) µs per sample")
            } else {
                lines.append("profile: no thread stopped (the kernel copied the stacks); reader CPU \(cpu) µs per sample")
            }
        }
        guard total > 0 else { return lines }
        lines.append("profile: top functions by self time:")
        for function in profile.functionsBySelfTime().prefix(topFunctions) where function.selfSamples > 0 {
            let share = Double(function.selfSamples) * 100 / Double(total)
            let percent = (share * 10).rounded() / 10
            lines.append("  \(percent)%  \(function.selfSamples)  \(function.name)")
        }
        return lines
    }

    private static func microseconds(_ nanoseconds: Int64) -> String {
        String((Double(nanoseconds) / 100).rounded() / 10)
    }
}
