import Profiles
import Testing

@Suite struct PeriodRoundingTests {
    @Test func wholePeriodsCountAsThemselves() {
        var rounding = PeriodRounding(period: 10)
        #expect([30, 10, 0, 20].map { rounding.periods(in: $0) } == [3, 1, 0, 2])
    }

    /// Rounded one by one, a hundred stacks of 0.4 periods would count nothing; carried, they count 40.
    @Test func carriesTheRemainderSoTheCountsAddUpToTheTime() {
        var rounding = PeriodRounding(period: 10)
        let counts = (0..<100).map { _ in rounding.periods(in: 4) }
        #expect(counts.reduce(0, +) == 40)
        #expect(counts.allSatisfy { $0 == 0 || $0 == 1 }, "each stack is off by less than one period")
    }

    @Test func roundsTheRunningTotalToTheNearestPeriod() {
        var rounding = PeriodRounding(period: 10)
        #expect(rounding.periods(in: 14) == 1)
        #expect(rounding.periods(in: 1) == 1, "15 in all rounds to 2")
        #expect(rounding.periods(in: 4) == 0, "19 in all rounds to 2")
    }
}
