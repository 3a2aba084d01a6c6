/// Compiled rules by lookup address, for one process image: a direct-mapped table (one slot per address
/// hash, a new rule replaces the slot's old one), touched only by the thread that unwinds, so no lock.
///
/// A profile keeps sampling the same few hundred return addresses and hot loop instructions, so nearly
/// every lookup hits and the CFI is parsed once per address (framehop's rule cache, samply's unwinder).
final class UnwindRuleCache {
    private struct Slot {
        var address: UInt64
        var rule: UnwindRule
    }

    /// 1,024 slots of 24 bytes: 24 KiB per process image.
    private static let slotCount = 1024
    /// An address no lookup uses: lookup addresses are user-space instruction addresses.
    private static let emptyAddress = UInt64.max
    private let slots: UnsafeMutablePointer<Slot>

    init() {
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: Slot(address: Self.emptyAddress, rule: .libunwind), count: Self.slotCount)
    }

    deinit { slots.deallocate() }

    /// The rule cached for `address`, or the one `compute` makes (then cached).
    func rule(at address: UInt64, compute: (UInt64) -> UnwindRule) -> UnwindRule {
        let slot = slots + Self.index(of: address)
        if slot.pointee.address == address { return slot.pointee.rule }
        let rule = compute(address)
        slot.pointee = Slot(address: address, rule: rule)
        return rule
    }

    /// Fibonacci hashing: neighbouring addresses (a loop's instructions) land in different slots.
    private static func index(of address: UInt64) -> Int {
        Int(truncatingIfNeeded: (address &* 0x9e37_79b9_7f4a_7c15) >> UInt64(64 - slotCount.trailingZeroBitCount))
    }
}
