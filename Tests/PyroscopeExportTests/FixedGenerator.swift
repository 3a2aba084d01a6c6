/// A random source that always gives the same bits: all zeros gives the least jitter, all ones the most. (Only
/// for half-open ranges: rejection sampling, as in closed ranges, would never end.)
struct FixedGenerator: RandomNumberGenerator, Sendable {
    var value: UInt64
    mutating func next() -> UInt64 { value }

    static let leastJitter = FixedGenerator(value: 0)
    static let mostJitter = FixedGenerator(value: .max)
}
