/// Adds up the CPU time of identical stacks of raw instruction addresses (leaf first) as they are sampled.
///
/// Samples are aggregated before symbolization: a hot loop yields a few distinct stacks sampled many times,
/// so each address is symbolized once per profile, not once per sample.
public struct StackCounter: Sendable {
    /// Nanoseconds of CPU time per distinct stack.
    public private(set) var cpuTimes: [[UInt64]: Int64] = [:]

    public init() {}

    /// Adds a sample of `stack` standing for `cpuTime` nanoseconds and returns the counter's own copy of the
    /// stack, which a caller can keep without keeping another array alive per sample.
    @discardableResult
    public mutating func add(_ stack: [UInt64], cpuTime: Int64) -> [UInt64] {
        if let index = cpuTimes.index(forKey: stack) {
            cpuTimes.values[index] += cpuTime
            return cpuTimes.keys[index]
        }
        cpuTimes[stack] = cpuTime
        return stack
    }

    public var isEmpty: Bool { cpuTimes.isEmpty }
}
