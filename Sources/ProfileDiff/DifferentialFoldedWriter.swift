import ProfileExport
import Profiles

/// Differential folded stacks, as Brendan Gregg's `difffolded.pl -n` writes them and `flamegraph.pl` draws
/// them: `root;…;leaf BASE NEW`, BASE scaled to NEW's total so that the colours show changes of share
/// (`-normalize`), not of the run's length.
public enum DifferentialFoldedWriter {
    public static func write(base: Profile, new: Profile) -> String {
        let scale = base.totalSamples == 0 ? 0 : Double(new.totalSamples) / Double(base.totalSamples)
        var counts: [String: (base: Double, new: Int)] = [:]
        for stack in base.namedStacks() { counts[FoldedWriter.line(stack.names), default: (0, 0)].base += Double(stack.count) * scale }
        for stack in new.namedStacks() { counts[FoldedWriter.line(stack.names), default: (0, 0)].new += stack.count }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value.base.rounded())) \($0.value.new)\n" }.joined()
    }
}
