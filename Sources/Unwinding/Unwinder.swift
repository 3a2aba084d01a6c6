import Binaries

/// Unwinds thread snapshots of one process image: by compiled CFI rules (``CFIUnwinder``), and by libunwind
/// (``LibunwindUnwinder``, the reference) for the rare stack with a frame the rules do not express.
///
/// Registers come from the snapshot, stack memory from its copy, and CFI and code from the module files
/// mapped in this process's address space. Nothing here touches the traced process, so unwinding can
/// happen after the thread has resumed or the process has exited.
///
/// Rules are cached by address for one process image: make a new `Unwinder` when the process execs or
/// maps new code. One thread uses an `Unwinder` at a time.
public final class Unwinder {
    public let modules: ModuleMap
    public let maximumFrames: Int
    private let rules: CFIUnwinder
    /// Made on the first stack that needs it: most processes never do.
    private lazy var reference = LibunwindUnwinder(memory: rules.memory, maximumFrames: maximumFrames)
    /// Stacks handed to libunwind so far.
    public private(set) var libunwindStacks = 0

    public init(modules: ModuleMap, maximumFrames: Int = 256) {
        self.modules = modules
        self.maximumFrames = maximumFrames
        rules = CFIUnwinder(memory: ModuleMemory(modules: modules), maximumFrames: maximumFrames)
    }

    /// Replaces `frames` with the instruction addresses of the snapshot's stack, leaf first.
    ///
    /// Caller frames are return addresses minus one, so they fall inside the calling instruction (and its
    /// function, even when the call is the function's last instruction). Unwinding stops at a caller
    /// address outside every module: where CFI ends (a thread's first frame), libunwind's frame-pointer
    /// fallback reads stack garbage, and no code lives outside the modules.
    ///
    /// - Returns: `false` when the leaf or a caller lies outside every module, which may also mean code
    ///   mapped after the module map was read.
    @discardableResult
    public func unwind(_ snapshot: ThreadSnapshot, into frames: inout [UInt64]) -> Bool {
        switch rules.unwind(snapshot, into: &frames) {
        case let .unwound(leafIsKnown):
            return leafIsKnown
        case .needsLibunwind:
            libunwindStacks += 1
            return reference.unwind(snapshot, into: &frames)
        }
    }
}
