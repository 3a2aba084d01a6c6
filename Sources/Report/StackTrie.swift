/// Builds the report's frame table and a trie of stacks, sharing each common prefix once: a profile's many
/// stacks mostly differ only near their leaves, so the page stays small.
struct StackTrie {
    private(set) var frames: [String] = []
    private var frameIndex: [String: Int] = [:]
    /// Per node: parent (-1 for a root), frame.
    private(set) var nodes: [Int] = []
    private var childIndex: [Edge: Int] = [:]

    private struct Edge: Hashable {
        var parent: Int
        var frame: Int
    }

    var nodeCount: Int { nodes.count / 2 }

    /// The node of a stack named root first, created with its missing ancestors.
    mutating func node(for names: [String]) -> Int {
        var node = -1
        for name in names {
            let edge = Edge(parent: node, frame: frame(name))
            if let child = childIndex[edge] {
                node = child
            } else {
                let child = nodeCount
                nodes += [edge.parent, edge.frame]
                childIndex[edge] = child
                node = child
            }
        }
        return node
    }

    private mutating func frame(_ name: String) -> Int {
        if let index = frameIndex[name] { return index }
        frameIndex[name] = frames.count
        frames.append(name)
        return frames.count - 1
    }
}
