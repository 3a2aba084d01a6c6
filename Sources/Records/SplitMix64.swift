/// A small seeded pseudo-random generator (SplitMix64, Steele, Lea & Flood 2014).
///
/// The generator's output must be byte-identical for the same seed on every run and machine, which
/// `SystemRandomNumberGenerator` cannot give; SplitMix64 is one add and three mixes per value and passes BigCrush.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// SplitMix64's finalizer: a bijective scramble of 64 bits, also used to derive per-record seeds.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`, by multiply-shift (Lemire); the tiny bias is irrelevant for synthetic data and
    /// keeps the output independent of the standard library's rejection-sampling details.
    public mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
