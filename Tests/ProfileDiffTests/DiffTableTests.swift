import ProfileDiff
import ProfilerTestSupport
import Testing

@Suite struct DiffTableTests {
    @Test func marksTheRegressionAndSaysWhichFunctionsGrew() throws {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 400, rest: 600))
        let lines = DiffTable.lines(comparison, baseName: "base.pb.gz", newName: "new.pb.gz", failAbove: 5)
        #expect(lines[0] == "BASE base.pb.gz: 1000 samples; NEW new.pb.gz: 1000 samples")
        let first = lines[3]
        #expect(first.contains("25.0 → 40.0") && first.contains("+15.0") && first.contains("250 → 400") && first.contains("<0.0001"))
        #expect(first.hasSuffix(" grows  REGRESSION"))
        #expect(lines.filter { $0.contains("REGRESSION") }.count == 1)
        #expect(lines.last == "1 function grew by more than 5 points with significance: grows")
    }

    /// A shrinkage larger than the regression still comes after it: the gate's reason is read first.
    @Test func listsRegressionsBeforeLargerShrinkages() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 390, rest: 580, other: 30))
        #expect(comparison.changes.first?.name == "leaf", "rest and leaf shrink by 17 points, grows grows by 14")
        let lines = DiffTable.lines(comparison, baseName: "a", newName: "b", failAbove: 5)
        #expect(lines[3].hasSuffix(" grows  REGRESSION"))
        #expect(lines.filter { $0.hasSuffix(" grows  REGRESSION") }.count == 1, "listed once")
    }

    @Test func withoutAThresholdNothingIsMarked() {
        let comparison = ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: SampleProfile.knownShares(grows: 400, rest: 600))
        let lines = DiffTable.lines(comparison, baseName: "a", newName: "b", failAbove: nil)
        #expect(!lines.contains { $0.contains("REGRESSION") })
        #expect(lines.count == 3 + comparison.changes.count)
    }

    @Test func namesWithControlCharactersCannotForgeLines() {
        var new = SampleProfile.knownShares(grows: 400, rest: 600)
        new.processes[0].threads[0].stacks[0].frames[0].name = "evil\nhybrid-run: all good"
        let lines = DiffTable.lines(ProfileComparison(base: SampleProfile.knownShares(grows: 250, rest: 750), new: new), baseName: "a", newName: "b", failAbove: 5)
        #expect(lines.allSatisfy { !$0.contains("\n") })
        #expect(lines.contains { $0.contains("evil\\nhybrid-run: all good") })
    }
}
