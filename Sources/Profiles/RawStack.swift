/// A sampled stack of raw instruction addresses (leaf first), as ``StackCounter`` keys it.
///
/// Hashed by a multiply-xorshift mix of its addresses fed to `Hasher` as one word, not by `Array`'s hash, which feeds
/// `Hasher` (SipHash) every address in turn: counting a sample hashes its whole stack, 8 % of the perf-event reader's
/// CPU at 1 kHz, and a lookup of a 30-frame stack took 170–263 ns that way against 85–103 ns (BENCHMARKS.md, "The
/// reader's cadence"). The mix is not keyed: a child that made many of its stacks collide would slow the reader, and so
/// the sampling of its own tree; equality stays exact, so no two stacks are ever counted as one.
public struct RawStack: Hashable, Sendable {
    public let addresses: [UInt64]

    public init(_ addresses: [UInt64]) {
        self.addresses = addresses
    }

    public func hash(into hasher: inout Hasher) {
        var mixed = UInt64(addresses.count)
        addresses.withUnsafeBufferPointer { addresses in
            for address in addresses {
                mixed = (mixed ^ address) &* 0x9E37_79B9_7F4A_7C15
                mixed ^= mixed >> 29
            }
        }
        hasher.combine(mixed)
    }
}
