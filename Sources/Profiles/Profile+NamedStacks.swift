extension Profile {
    /// A stack as flame graphs draw it: function names from the root to the leaf, and its samples.
    public struct NamedStack: Sendable, Hashable {
        /// The process's executable name first (when it has one), then the outermost caller, the leaf last.
        public var names: [String]
        public var count: Int

        public init(names: [String], count: Int) {
            self.names = names
            self.count = count
        }
    }

    /// Every stack of every thread, named root first. A process tree reads as one flame graph split by
    /// program; threads of a process and processes running the same program fold together, so identical
    /// name paths are summed.
    /// - Parameter weight: what a stack counts for: its samples, or (the wall variant) its wall time in µs.
    public func namedStacks(weight: (StackCount) -> Int = { $0.count }) -> [NamedStack] {
        var counts: [[String]: Int] = [:]
        for process in processes {
            let root = process.stackRoot
            for thread in process.threads {
                for stack in thread.stacks {
                    counts[root + stack.frames.reversed().map(\.name), default: 0] += weight(stack)
                }
            }
        }
        return counts.map { NamedStack(names: $0.key, count: $0.value) }
    }
}
