import ProfileDiff
import ProfilerTestSupport
import Profiles
import Testing

@Suite struct ProfileComparisonTests {
    @Test func aShareGrowingFrom25To40PercentIsARegressionAndComesFirst() throws {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 400, rest: 600))
        let first = try #require(comparison.changes.first)
        #expect(first.name == "grows")
        #expect(abs(first.baseSelfShare - 25) < 1e-9 && abs(first.newSelfShare - 40) < 1e-9)
        #expect(abs(first.selfDelta - 15) < 1e-9 && abs(first.totalDelta - 15) < 1e-9)
        #expect(first.base.selfSamples == 250 && first.new.selfSamples == 400)
        #expect(comparison.regressions(above: 5).map(\.name) == ["grows"])
        #expect(comparison.regressions(above: 20).isEmpty)
        let main = try #require(comparison.changes.first { $0.name == "main" })
        #expect(main.totalDelta == 0 && main.totalPValue == 1)
    }

    @Test func sharesAreNormalisedToEachProfilesTotal() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 5000, rest: 15000))
        #expect(comparison.baseSamples == 1000 && comparison.newSamples == 20000)
        #expect(comparison.changes.allSatisfy { abs($0.selfDelta) < 1e-9 && abs($0.totalDelta) < 1e-9 })
        #expect(comparison.regressions(above: 0).isEmpty)
    }

    @Test func aLargeChangeSeenInAFewSamplesIsNotSignificant() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 5, rest: 15), new: SampleProfile.knownShares(grows: 8, rest: 12))
        #expect(abs(comparison.changes[0].selfDelta - 15) < 1e-9)
        #expect(comparison.regressions(above: 5).isEmpty)
    }

    @Test func aFunctionOnlyInNewGrowsFromZero() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 250, rest: 450, other: 300))
        #expect(comparison.changes.first?.name == "other")
        #expect(comparison.changes.first?.base.totalSamples == 0)
        #expect(comparison.regressions(above: 5).map(\.name) == ["other"])
    }

    /// A shrinking function is never a regression, however significant.
    @Test func shrinkageIsNotARegression() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 400, rest: 600), new: SampleProfile.knownShares(grows: 250, rest: 750))
        #expect(comparison.regressions(above: 5).map(\.name) == ["leaf", "rest"])
        #expect(comparison.changes.first.map { $0.name == "leaf" || $0.name == "rest" } == true, "growth before shrinkage of the same size")
    }

    @Test func pValuesOfTheTwoProportionTest() {
        // 25 % vs 40 % of 1000: z = 0.15 / sqrt(0.325 · 0.675 · 0.002) = 7.16, p ≈ 8e-13.
        let strong = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 400, rest: 600))
        #expect(strong.changes[0].selfPValue < 1e-11 && strong.changes[0].selfPValue > 1e-13)
        // 25 % vs 26 % of 1000: z = 0.01 / sqrt(0.255 · 0.745 · 0.002) = 0.513, p = 0.608.
        let weak = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 260, rest: 740))
        let grows = weak.changes.first { $0.name == "grows" }!
        #expect(abs(grows.selfPValue - 0.608) < 0.001)
    }
}
