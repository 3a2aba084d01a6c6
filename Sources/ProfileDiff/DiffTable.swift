import Foundation
import SafeText

/// The text `hybrid-run --diff` prints: the functions whose shares changed most, with the numbers behind
/// each change, and a verdict line.
public enum DiffTable {
    /// - Parameters:
    ///   - failAbove: the gate's threshold in points; rows over it are marked `REGRESSION`.
    ///   - rows: how many of the largest changes to list besides the regressions, which are listed first.
    public static func lines(_ comparison: ProfileComparison, baseName: String, newName: String,
                             failAbove: Double?, rows: Int = 20) -> [String] {
        let regressions = failAbove.map { comparison.regressions(above: $0) } ?? []
        let flagged = Set(regressions.map(\.name))
        // Regressions first (what failed the gate), then the other largest changes.
        let listed = regressions + comparison.changes.prefix(rows).filter { !flagged.contains($0.name) }
        var lines = [
            "BASE \(ShownText.value(baseName)): \(comparison.baseSamples) samples; NEW \(ShownText.value(newName)): \(comparison.newSamples) samples",
            "shares of each profile's samples in percent, changes in points; p: two-proportion test, significant below \(format(pValue: comparison.significanceLevel))",
            row("self", "Δself", "total", "Δtotal", "samples", "p", "function"),
        ]
        for change in listed {
            let mark = flagged.contains(change.name) ? "  REGRESSION" : ""
            lines.append(row(
                "\(percent(change.baseSelfShare)) → \(percent(change.newSelfShare))", signed(change.selfDelta),
                "\(percent(change.baseTotalShare)) → \(percent(change.newTotalShare))", signed(change.totalDelta),
                "\(change.base.totalSamples) → \(change.new.totalSamples)", format(pValue: change.largestChange.pValue),
                ShownText.value(change.name, limit: 160) + mark))
        }
        if let failAbove {
            let names = regressions.map { ShownText.value($0.name) }
            lines.append(regressions.isEmpty
                ? "no function's share grew by more than \(points(failAbove)) points with significance"
                : "\(regressions.count) function\(regressions.count == 1 ? "" : "s") grew by more than \(points(failAbove)) points with significance: \(names.joined(separator: ", "))")
        }
        return lines
    }

    private static func row(_ selfShares: String, _ selfDelta: String, _ totalShares: String, _ totalDelta: String,
                            _ samples: String, _ p: String, _ name: String) -> String {
        [padded(selfShares, 15), padded(selfDelta, 7), padded(totalShares, 15), padded(totalDelta, 7),
         padded(samples, 15), padded(p, 8), " " + name].joined()
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }

    private static func percent(_ share: Double) -> String { String(format: "%.1f", share) }
    private static func signed(_ delta: Double) -> String { String(format: "%+.1f", delta) }
    private static func points(_ value: Double) -> String { String(format: "%g", value) }

    static func format(pValue: Double) -> String {
        pValue < 0.0001 ? "<0.0001" : String(format: "%.4f", pValue)
    }
}
