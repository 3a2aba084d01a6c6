import Profiles
import Testing

struct RawStackTests {
    /// Stacks of one recursion differ only in a frame or two, or in their order: an order-blind or weak mix (a sum,
    /// an xor, the first or last address alone) would give them few distinct hashes, and the counter's dictionary would
    /// compare them one by one.
    @Test func similarStacksHashApart() {
        let base: [UInt64] = (0..<30).map { 0x5555_5555_0000 + UInt64($0) * 0x40 }
        var stacks: [RawStack] = []
        for leaf in 0..<2_000 {
            var addresses = base
            addresses[0] = 0x5555_5555_0000 + UInt64(leaf)
            stacks.append(RawStack(addresses))
            stacks.append(RawStack(addresses.reversed()))
            stacks.append(RawStack(Array(addresses.dropLast())))
        }
        #expect(Set(stacks).count == stacks.count, "no two of them are one key")
        #expect(Set(stacks.map(\.hashValue)).count >= stacks.count - 1)
    }
}
