@testable import Sampling
import Testing

@Suite struct StopBudgetTests {
    @Test func stopsEveryThreadWhileTheTracersCPUKeepsUp() {
        var budget = StopBudget()
        budget.update(stopped: 64, tracerCPUTime: 400_000, period: 1_000_000)
        #expect(budget.limit == .max)
    }

    @Test func halvesWhenATickCostsMoreThanHalfAPeriodThenGrowsByOne() {
        var budget = StopBudget()
        budget.update(stopped: 64, tracerCPUTime: 1_600_000, period: 1_000_000)
        #expect(budget.limit == 32)
        budget.update(stopped: 32, tracerCPUTime: 800_000, period: 1_000_000)
        #expect(budget.limit == 16)
        budget.update(stopped: 16, tracerCPUTime: 400_000, period: 1_000_000)
        #expect(budget.limit == 16, "between a quarter and half a period: kept")
        budget.update(stopped: 16, tracerCPUTime: 200_000, period: 1_000_000)
        #expect(budget.limit == 17)
    }

    @Test func neverStopsFewerThanOne() {
        var budget = StopBudget()
        budget.update(stopped: 2, tracerCPUTime: 5_000_000, period: 1_000_000)
        budget.update(stopped: 1, tracerCPUTime: 5_000_000, period: 1_000_000)
        #expect(budget.limit == 1)
    }
}
