/// Decides when missed samples stop being noise: at least ten, and more than 5 % of those due, so a passing
/// hiccup on a busy machine says nothing, and says it once. Both samplers miss samples their own way
/// (ptrace: ticks skipped; perf events: records the kernel dropped from a full buffer) and report them here.
struct FallingBehind {
    let rate: Double
    private var due = 0
    private var missed = 0
    private var hasWarned = false

    init(rate: Double) { self.rate = rate }

    /// The warning to print, the first time the misses so far warrant one.
    mutating func record(due newlyDue: Int, missed newlyMissed: Int) -> String? {
        due += newlyDue
        missed += newlyMissed
        guard !hasWarned, missed >= 10, missed * 20 > due else { return nil }
        hasWarned = true
        return "profiler is behind the requested rate of \(rate) Hz; \(missed) of \(due) samples missed (try a lower --rate)"
    }
}
