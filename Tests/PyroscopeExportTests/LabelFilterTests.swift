import Testing

@testable import PyroscopeExport

struct LabelFilterTests {
    @Test func laterLabelsOverrideEarlierOnesInPlace() {
        let (kept, rejected) = LabelFilter.filter([
            PyroscopeLabel(name: "a", value: "1"), PyroscopeLabel(name: "b", value: "2"), PyroscopeLabel(name: "a", value: "3"),
        ])
        #expect(kept == [PyroscopeLabel(name: "a", value: "3"), PyroscopeLabel(name: "b", value: "2")])
        #expect(rejected.isEmpty)
    }

    @Test func invalidLabelsAreRejectedWithTheirProblem() {
        let bad = PyroscopeLabel(name: "bad-name", value: "x")
        let (kept, rejected) = LabelFilter.filter([bad, PyroscopeLabel(name: "ok", value: "y")])
        #expect(kept == [PyroscopeLabel(name: "ok", value: "y")])
        #expect(rejected.map(\.label) == [bad])
        #expect(rejected.first?.problem.contains("letters, digits") == true)
    }

    @Test func labelsBeyondTheSeriesLimitAreRejected() {
        let labels = (0..<30).map { PyroscopeLabel(name: "l\($0)", value: "v") }
        let (kept, rejected) = LabelFilter.filter(labels)
        #expect(kept.count == PyroscopeLabelRules.maximumLabelsPerUpload)
        #expect(rejected.map(\.label.name) == ["l27", "l28", "l29"])
    }
}
