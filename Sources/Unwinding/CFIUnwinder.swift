/// Unwinds thread snapshots of one process image by compiled CFI rules: per frame, one cached rule, one or
/// two words read straight from the stack copy, one module range check.
///
/// Steps exactly as ``LibunwindUnwinder`` does (the leaf looked up at its address, callers one byte before
/// their return address unless the callee is a signal trampoline; the stack ends where a return address is
/// 0, lies outside every module, or does not move the stack pointer up), so a stack unwinds to the same
/// frames either way. A frame whose rule is ``UnwindRule/Kind/libunwind`` hands the whole stack over.
final class CFIUnwinder {
    enum Outcome: Equatable {
        /// `frames` holds the stack; `leafIsKnown` as ``Unwinder/unwind(_:into:)`` returns it.
        case unwound(leafIsKnown: Bool)
        /// A frame needs libunwind: `frames` is incomplete.
        case needsLibunwind
    }

    let memory: ModuleMemory
    let maximumFrames: Int
    private let rules = UnwindRuleCache()
    private var moduleCFI: [Int: ModuleCFI] = [:]

    init(memory: ModuleMemory, maximumFrames: Int) {
        self.memory = memory
        self.maximumFrames = maximumFrames
    }

    func unwind(_ snapshot: ThreadSnapshot, into frames: inout [UInt64]) -> Outcome {
        frames.removeAll(keepingCapacity: true)
        var stackPointer = snapshot.registers.rsp
        // `nil` once it was saved where the copy does not reach: only a frame whose CFA it defines fails then.
        var framePointer: UInt64? = snapshot.registers.rbp
        var lookupAddress = snapshot.registers.rip
        frames.append(lookupAddress)
        while frames.count < maximumFrames {
            let rule = rules.rule(at: lookupAddress, compute: compileRule)
            let base: UInt64
            switch rule.kind {
            case .cfaFromStackPointer:
                base = stackPointer
            case .cfaFromFramePointer:
                guard let framePointer else { return .unwound(leafIsKnown: true) }
                base = framePointer
            case .endOfStack:
                return .unwound(leafIsKnown: true)
            case .libunwind:
                return .needsLibunwind
            }
            let cfa = base &+ UInt64(bitPattern: Int64(rule.cfaOffset))
            guard let returnAddress = word(at: cfa &+ UInt64(bitPattern: Int64(rule.returnAddressOffset)), snapshot),
                  returnAddress != 0, cfa > stackPointer
            else { break }
            if rule.restoresFramePointer {
                framePointer = word(at: cfa &+ UInt64(bitPattern: Int64(rule.framePointerOffset)), snapshot)
            }
            guard memory.moduleIndex(containing: returnAddress) != nil else { return .unwound(leafIsKnown: false) }
            frames.append(returnAddress - 1)
            stackPointer = cfa
            lookupAddress = rule.isSignalFrame ? returnAddress : returnAddress - 1
        }
        return .unwound(leafIsKnown: true)
    }

    private func word(at address: UInt64, _ snapshot: ThreadSnapshot) -> UInt64? {
        memory.word(at: address, stack: snapshot)
    }

    private func compileRule(at address: UInt64) -> UnwindRule {
        guard let index = memory.moduleIndex(containing: address), let image = memory.modules.modules[index].image else {
            return .libunwind
        }
        let cfi = moduleCFI[index] ?? ModuleCFI(image: image)
        moduleCFI[index] = cfi
        return cfi.rule(at: memory.modules.modules[index].virtualAddress(of: address))
    }
}
