import Binaries

/// Unwinds thread snapshots of one process image by compiled CFI rules: per frame, one cached rule, one or
/// two words read straight from the stack copy, one module range check.
///
/// Steps exactly as ``LibunwindUnwinder`` does (the leaf looked up at its address, callers one byte before
/// their return address unless the callee is a signal trampoline; the stack ends where a return address is
/// 0, lies outside every module, or does not move the stack pointer up), so a stack unwinds to the same
/// frames either way. A frame whose rule is ``UnwindRule/Kind/libunwind`` hands the whole stack over.
///
/// A snapshot without rbp (a blocked thread read from `/proc`) gets it exactly from the first frame whose CFI
/// saved it; a frame that needs it before (CFA = rbp + 16 of frame-pointer code such as Debian's libpq, with the
/// libc wrapper below it leaving rbp untouched) has it searched in the copy (``searchedFramePointer(from:function:_:)``).
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
        // `nil` when unknown, or once it was saved where the copy does not reach: only a frame whose CFA it defines
        // needs it then.
        var framePointer: UInt64? = snapshot.framePointerIsKnown ? snapshot.registers.rbp : nil
        var lookupAddress = snapshot.registers.rip
        frames.append(lookupAddress)
        while frames.count < maximumFrames {
            let rule = rules.rule(at: lookupAddress, compute: compileRule)
            let base: UInt64
            switch rule.kind {
            case .cfaFromStackPointer:
                base = stackPointer
            case .cfaFromFramePointer:
                guard let found = framePointer ?? searchedFramePointer(from: stackPointer, function: lookupAddress, snapshot) else {
                    return .unwound(leafIsKnown: true)
                }
                base = found
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

    /// How far above a frame's stack pointer its frame pointer is looked for: the locals of one frame.
    static let framePointerSearchBytes: UInt64 = 8192

    /// The rbp of a frame whose CFA is rbp + 16 while rbp is unknown: the lowest 8-aligned slot X from the frame's
    /// stack pointer up holding what a frame-pointer prologue (`push rbp; mov rsp, rbp`) leaves: in X the caller's rbp
    /// (0, or a stack address above X inside the copy) and in X + 8 a return address right after a `call rel32` to
    /// the function `lookupAddress` lies in. perf and framehop do not search (they take rbp from the sample); the
    /// call-target check is what rejects the stale frame records an earlier, deeper call left in this frame's
    /// uninitialized locals (they pass every other test). A function reached by an indirect call or a PLT stub has
    /// no such proof: no slot validates and the stack ends with the frames found, as a wrong frame is worse than a
    /// short stack.
    private func searchedFramePointer(from stackPointer: UInt64, function lookupAddress: UInt64, _ snapshot: ThreadSnapshot) -> UInt64? {
        guard let entry = functionStart(at: lookupAddress) else { return nil }
        let copyEnd = snapshot.stackStart &+ UInt64(snapshot.stack.count)
        let last = min(copyEnd, stackPointer &+ Self.framePointerSearchBytes)
        var slot = (stackPointer &+ 7) & ~7
        while slot &+ 16 <= last {
            if let saved = snapshot.stackWord(at: slot), saved == 0 || (saved >= slot &+ 16 && saved < copyEnd && saved & 7 == 0),
               let returnAddress = snapshot.stackWord(at: slot &+ 8), memory.directCallTarget(returningTo: returnAddress) == entry {
                return slot
            }
            slot &+= 8
        }
        return nil
    }

    /// The runtime entry point of the function holding `address`, from its module's CFI.
    private func functionStart(at address: UInt64) -> UInt64? {
        guard let (cfi, module) = cfi(containing: address) else { return nil }
        return cfi.functionStart(at: module.virtualAddress(of: address)).map { $0 &+ module.loadBias }
    }

    private func word(at address: UInt64, _ snapshot: ThreadSnapshot) -> UInt64? {
        memory.word(at: address, stack: snapshot)
    }

    private func compileRule(at address: UInt64) -> UnwindRule {
        guard let (cfi, module) = cfi(containing: address) else { return .libunwind }
        return cfi.rule(at: module.virtualAddress(of: address))
    }

    /// The CFI of the module holding `address`, read on first use.
    private func cfi(containing address: UInt64) -> (ModuleCFI, LoadedModule)? {
        guard let index = memory.moduleIndex(containing: address), let image = memory.modules.modules[index].image else { return nil }
        let cfi = moduleCFI[index] ?? ModuleCFI(image: image)
        moduleCFI[index] = cfi
        return (cfi, memory.modules.modules[index])
    }
}
