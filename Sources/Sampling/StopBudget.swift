/// How many threads the tracer stops on one tick: every thread that is due while its own CPU time keeps up with
/// the rate, fewer once it does not, so that it samples steadily instead of skipping most ticks.
///
/// Waiting for stopped threads costs the tracer wall time but no CPU, and the threads stop in parallel (a thread
/// that is runnable but waiting for a CPU reports its stop once scheduled, whether one or eight were
/// interrupted), so only the tracer's CPU time per tick (stopping, copying, unwinding, about 20–30 µs per
/// thread) is budgeted: a tick that costs more than half a period halves the limit, and each tick under a
/// quarter of a period raises it by one (additive increase, multiplicative decrease, as TCP finds a rate).
/// Threads left for a later tick lose nothing from the profile's totals: a ptrace sample stands for the CPU
/// time its thread used since its previous sample.
struct StopBudget {
    private(set) var limit = Int.max

    /// Adjusts the limit after a tick that stopped `stopped` threads for `tracerCPUTime` ns of the tracer's CPU.
    mutating func update(stopped: Int, tracerCPUTime: Int64, period: Int64) {
        if tracerCPUTime > period / 2, stopped > 1 {
            limit = max(1, min(limit, stopped) / 2)
        } else if tracerCPUTime < period / 4, limit < Int.max {
            limit += 1
        }
    }
}
