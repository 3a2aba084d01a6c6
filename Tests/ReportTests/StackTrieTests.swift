@testable import Report
import Testing

@Suite struct StackTrieTests {
    @Test func sharesPrefixesAndPutsParentsFirst() {
        var trie = StackTrie()
        let hot = trie.node(for: ["app", "main", "hot"])
        let cold = trie.node(for: ["app", "main", "cold"])
        let again = trie.node(for: ["app", "main", "hot"])
        #expect(hot == again)
        #expect(trie.frames == ["app", "main", "hot", "cold"])
        #expect(trie.nodeCount == 4, "app, main, hot, cold: the common prefix once")
        #expect(trie.nodes == [-1, 0, 0, 1, 1, 2, 1, 3])
        #expect(cold == 3)
        for node in 0..<trie.nodeCount { #expect(trie.nodes[2 * node] < node) }
    }

    @Test func aNameRecurringOnTheStackIsOneFrameInManyNodes() {
        var trie = StackTrie()
        let deepest = trie.node(for: ["app", "recurse", "recurse", "recurse"])
        #expect(trie.frames == ["app", "recurse"])
        #expect(deepest == 3 && trie.nodeCount == 4)
    }
}
