/// A sampled stack of raw instruction addresses (leaf first), as ``StackCounter`` keys it.
///
/// Hashed by a multiply-xorshift mix of its addresses fed to `Hasher` as one word, not by `Array`'s hash, which feeds
/// `Hasher` (SipHash) every address in turn: counting a sample hashes its whole stack, and for 30 frames that was
/// 0.4 µs, a tenth of the perf-event reader's CPU per sample at 1 kHz (BENCHMARKS.md, "The reader's cadence"). The mix
/// is not keyed: a child that made many stacks collide would slow its own counting, nothing else.
public struct RawStack: Hashable, Sendable, ExpressibleByArrayLiteral {
    public let addresses: [UInt64]

    public init(_ addresses: [UInt64]) {
        self.addresses = addresses
    }

    public init(arrayLiteral addresses: UInt64...) {
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
