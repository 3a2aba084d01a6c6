import Profiles

/// BASE and NEW compared function by function, largest changes first: what `hybrid-run --diff` prints and
/// gates on.
public struct ProfileComparison: Sendable {
    public let baseSamples: Int
    public let newSamples: Int
    /// Every function seen in either profile, by the magnitude of its larger change (self or total), a
    /// growth before a shrinkage of the same size, then by name.
    public let changes: [FunctionChange]
    /// The p-value below which a change counts as significant: 1 % for the whole table, shared out over
    /// every test made (Bonferroni: two per function), so a long table does not find noise by chance.
    public let significanceLevel: Double

    public static let familyWiseErrorRate = 0.01

    public init(base: Profile, new: Profile) {
        baseSamples = base.totalSamples
        newSamples = new.totalSamples
        let before = Dictionary(base.functionsBySelfTime().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.functionsBySelfTime().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let (n1, n2) = (baseSamples, newSamples)
        func share(_ samples: Int, of total: Int) -> Double { total == 0 ? 0 : Double(samples) * 100 / Double(total) }
        changes = Set(before.keys).union(after.keys).map { name in
            let old = before[name] ?? Profile.FunctionTime(name: name, selfSamples: 0, totalSamples: 0)
            let now = after[name] ?? Profile.FunctionTime(name: name, selfSamples: 0, totalSamples: 0)
            return FunctionChange(
                name: name, base: old, new: now,
                baseSelfShare: share(old.selfSamples, of: n1), newSelfShare: share(now.selfSamples, of: n2),
                baseTotalShare: share(old.totalSamples, of: n1), newTotalShare: share(now.totalSamples, of: n2),
                selfPValue: ShareTest.pValue(old.selfSamples, of: n1, now.selfSamples, of: n2),
                totalPValue: ShareTest.pValue(old.totalSamples, of: n1, now.totalSamples, of: n2))
        }.sorted { a, b in
            let (magnitudeA, magnitudeB) = (abs(a.largestChange.delta), abs(b.largestChange.delta))
            if magnitudeA != magnitudeB { return magnitudeA > magnitudeB }
            if a.largestChange.delta != b.largestChange.delta { return a.largestChange.delta > b.largestChange.delta }
            return a.name < b.name
        }
        significanceLevel = Self.familyWiseErrorRate / Double(max(1, 2 * changes.count))
    }

    /// The functions whose self or total share grew by more than `points` with significance, largest first.
    public func regressions(above points: Double) -> [FunctionChange] {
        changes.filter { $0.grew(moreThan: points, significanceLevel: significanceLevel) }
    }
}
