/// Counts identical stacks of raw instruction addresses (leaf first) as they are sampled.
///
/// Samples are aggregated before symbolization: a hot loop yields a few distinct stacks sampled many times,
/// so each address is symbolized once per profile, not once per sample.
public struct StackCounter: Sendable {
    public private(set) var counts: [[UInt64]: Int] = [:]

    public init() {}

    /// Counts `stack` and returns the counter's own copy of it, which a caller can keep without keeping
    /// another array alive per sample.
    @discardableResult
    public mutating func add(_ stack: [UInt64], count: Int = 1) -> [UInt64] {
        if let index = counts.index(forKey: stack) {
            counts.values[index] += count
            return counts.keys[index]
        }
        counts[stack] = count
        return stack
    }

    public var isEmpty: Bool { counts.isEmpty }
    public var totalSamples: Int { counts.values.reduce(0, +) }
}
