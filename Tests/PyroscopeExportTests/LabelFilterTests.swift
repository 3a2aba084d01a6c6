import Testing

@testable import PyroscopeExport

struct LabelFilterTests {
    static func tags(_ count: Int) -> [PyroscopeLabel] { (0..<count).map { PyroscopeLabel(name: "t\($0)", value: "v") } }
    static let correlation = [PyroscopeLabel(name: "trace_id", value: "t"), PyroscopeLabel(name: "root_span_id", value: "s")]

    @Test func laterLabelsOverrideEarlierOnesInPlace() {
        let outcome = LabelFilter.filter(tags: [
            PyroscopeLabel(name: "a", value: "1"), PyroscopeLabel(name: "b", value: "2"), PyroscopeLabel(name: "a", value: "3"),
        ])
        #expect(outcome.kept == [PyroscopeLabel(name: "a", value: "3"), PyroscopeLabel(name: "b", value: "2")])
        #expect(outcome.rejected.isEmpty)
    }

    /// The server reads `a.b` as `a_b` and refuses a series holding both with different values.
    @Test func namesTheServerStoresAlikeAreOneLabel() {
        let outcome = LabelFilter.filter(tags: [PyroscopeLabel(name: "ci.job", value: "1"), PyroscopeLabel(name: "ci_job", value: "2")])
        #expect(outcome.kept == [PyroscopeLabel(name: "ci_job", value: "2")])
    }

    @Test func invalidLabelsAreRejectedWithTheirProblem() {
        let bad = PyroscopeLabel(name: "bad-name", value: "x")
        let outcome = LabelFilter.filter(tags: [bad, PyroscopeLabel(name: "ok", value: "y")])
        #expect(outcome.kept == [PyroscopeLabel(name: "ok", value: "y")])
        #expect(outcome.rejected.map(\.label) == [bad])
        #expect(outcome.rejected.first?.problem.contains("letters, digits") == true)
    }

    /// 30 names per series, counting `__name__`, `__delta__`, `pyroscope_spy`, `service_name` and the sample
    /// label `process`: 25 tags fit, and the first 25 are the ones kept.
    @Test func tagsBeyondTheSeriesLimitAreLeftOutFromTheLast() {
        let outcome = LabelFilter.filter(tags: Self.tags(40), sampleLabelNames: ["process"])
        #expect(outcome.kept == Self.tags(25))
        #expect(outcome.overLimit == Array(Self.tags(40)[25...]))
        #expect(PyroscopeLabelRules.seriesLabelNames(labels: outcome.kept, sampleLabelNames: ["process"]).count == 30)
    }

    @Test func theUploadsOwnLabelsAreKeptAndTraceSampleLabelsDoNotCount() {
        let outcome = LabelFilter.filter(tags: Self.tags(40), uploadLabels: Self.correlation,
                                         sampleLabelNames: ["process", "span_id", "trace_id"])
        #expect(outcome.kept == Self.tags(23) + Self.correlation)
        #expect(outcome.overLimit.count == 17)
    }

    @Test func aServiceNameTagTakesTheServersPlace() {
        let tags = [PyroscopeLabel(name: "service_name", value: "s")] + Self.tags(40)
        #expect(LabelFilter.filter(tags: tags, sampleLabelNames: ["process"]).kept.count == 26)
    }

    @Test func belowTheLimitNothingIsLeftOut() {
        let outcome = LabelFilter.filter(tags: Self.tags(23), uploadLabels: Self.correlation, sampleLabelNames: ["process", "span_id", "trace_id"])
        #expect(outcome.overLimit.isEmpty)
        #expect(outcome.kept.count == 25)
    }
}
