extension Profile {
    /// A function and the samples that had it as the leaf frame (self time) or anywhere (total time).
    public struct FunctionTime: Sendable, Equatable {
        public var name: String
        public var selfSamples: Int
        public var totalSamples: Int

        public init(name: String, selfSamples: Int, totalSamples: Int) {
            self.name = name
            self.selfSamples = selfSamples
            self.totalSamples = totalSamples
        }
    }

    /// Functions by descending self time, across all processes and threads.
    public func functionsBySelfTime() -> [FunctionTime] {
        var selfSamples: [String: Int] = [:]
        var totalSamples: [String: Int] = [:]
        for process in processes {
            for thread in process.threads {
                for stack in thread.stacks {
                    if let leaf = stack.frames.first { selfSamples[leaf.name, default: 0] += stack.count }
                    for name in Set(stack.frames.map(\.name)) { totalSamples[name, default: 0] += stack.count }
                }
            }
        }
        return totalSamples.map { FunctionTime(name: $0.key, selfSamples: selfSamples[$0.key] ?? 0, totalSamples: $0.value) }
            .sorted { ($0.selfSamples, $0.totalSamples, $1.name) > ($1.selfSamples, $1.totalSamples, $0.name) }
    }
}
