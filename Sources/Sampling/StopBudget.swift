/// How many threads the tracer stops on one tick: every thread that is due while it keeps up with the rate,
/// fewer once it falls behind, so that it samples steadily instead of skipping most ticks.
///
/// One tracer thread stops threads one reported stop at a time, and a thread that is runnable but waiting for
/// a CPU reports only once it is scheduled: with more busy threads than CPUs, or at a high rate, stopping them
/// all can take longer than a period. The limit halves whenever ticks were skipped and grows by one after each
/// tick sampled within half a period (additive increase, multiplicative decrease, as TCP finds a rate).
/// Threads left for a later tick lose nothing from the profile's totals: a ptrace sample stands for the CPU
/// time its thread used since its previous sample.
struct StopBudget {
    private(set) var limit = Int.max

    /// Adjusts the limit after a tick that stopped `stopped` threads in `elapsed` ns, with `missedTicks`
    /// ticks skipped since the previous tick.
    mutating func update(stopped: Int, elapsed: Int64, period: Int64, missedTicks: Int) {
        if missedTicks > 0, stopped > 0 {
            limit = max(1, min(limit, stopped) / 2)
        } else if elapsed < period / 2, limit < Int.max {
            limit += 1
        }
    }
}
