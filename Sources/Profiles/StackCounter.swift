/// Counts identical stacks of raw instruction addresses (leaf first) as they are sampled.
///
/// Samples are aggregated before symbolization: a hot loop yields a few distinct stacks sampled many times,
/// so each address is symbolized once per profile, not once per sample.
public struct StackCounter: Sendable {
    public private(set) var counts: [[UInt64]: Int] = [:]

    public init() {}

    public mutating func add(_ stack: [UInt64], count: Int = 1) {
        counts[stack, default: 0] += count
    }

    public var isEmpty: Bool { counts.isEmpty }
    public var totalSamples: Int { counts.values.reduce(0, +) }
}
