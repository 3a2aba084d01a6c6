import Profiles

/// The differential flame graph of `hybrid-run --diff -o diff.html`: NEW's stacks with BASE's counts beside
/// them, coloured by the change of each frame's share.
public struct DiffReport: Sendable {
    public var base: Profile
    public var new: Profile
    /// How the page names the two profiles (their paths).
    public var baseName: String
    public var newName: String

    public init(base: Profile, new: Profile, baseName: String, newName: String) {
        self.base = base
        self.new = new
        self.baseName = baseName
        self.newName = newName
    }

    public func html(generator: String) -> [UInt8] {
        var trie = StackTrie()
        var newCounts: [Int: Int] = [:]
        var baseCounts: [Int: Int] = [:]
        let order = { (a: Profile.NamedStack, b: Profile.NamedStack) in a.names.lexicographicallyPrecedes(b.names) }
        for stack in new.namedStacks().sorted(by: order) { newCounts[trie.node(for: stack.names), default: 0] += stack.count }
        for stack in base.namedStacks().sorted(by: order) { baseCounts[trie.node(for: stack.names), default: 0] += stack.count }
        let profile = FlameProfile(
            id: "cpu", title: "CPU time", unit: "nanoseconds", sampleWeight: new.sampleWeight,
            rootsAreProcesses: (base.processes + new.processes).allSatisfy { !$0.executableName.isEmpty },
            nodes: trie.nodes, selfCounts: (0..<trie.nodeCount).map { newCounts[$0] ?? 0 },
            baseSelfCounts: (0..<trie.nodeCount).map { baseCounts[$0] ?? 0 }, threads: nil, timeline: nil)
        let document = ReportDocument(
            generator: generator, origin: String(new.startTime), frames: trie.frames, profiles: [profile], run: nil,
            diff: .init(base: baseName, new: newName, baseSamples: base.totalSamples, newSamples: new.totalSamples),
            spans: [], notes: [])
        return ReportPage.render(document, title: "hybrid-run --diff \(baseName) \(newName)")
    }
}
