/// Turns CPU times into whole sampling periods (``StackCount/count``) so that the counts add up to the CPU
/// time they were made from.
///
/// Rounding each stack on its own would lose or invent up to half a period per stack, and a ptrace profile
/// of many threads has many stacks of less than a period each. Instead the rounding error of one stack is
/// carried into the next (error diffusion): after any number of stacks, the counts so far are the CPU time so
/// far in periods, rounded, and each stack's count is off by less than one period.
public struct PeriodRounding: Sendable {
    public let period: Int64
    /// CPU time counted so far minus periods counted so far, in [-period/2, period/2).
    private var remainder: Int64 = 0

    public init(period: Int64) {
        self.period = max(1, period)
    }

    /// The periods `cpuTime` (nanoseconds, not negative) adds, the remainder carried.
    public mutating func periods(in cpuTime: Int64) -> Int {
        let total = remainder + cpuTime
        let count = (total + period / 2) / period
        remainder = total - count * period
        return Int(count)
    }
}
