@testable import Sampling
import Testing

struct PeriodJitterTests {
    @Test func drawsFrequenciesAroundTheRateThatAverageToIt() {
        var jitter = PeriodJitter(rate: 250, now: 0)
        let periods = (0..<20_000).map { _ in jitter.draw(at: 0) }
        #expect(periods.allSatisfy { $0 >= 3_200_000 && $0 <= 5_333_334 }, "4 ms ± 25 % in frequency")
        #expect(Set(periods).count > 10_000, "drawn, not fixed")
        let meanFrequency = periods.reduce(0.0) { $0 + 1e9 / Double($1) } / Double(periods.count)
        #expect(abs(meanFrequency - 250) < 2.5, "\(meanFrequency) Hz")
    }

    @Test func drawsAgainAfter32To96Periods() {
        var jitter = PeriodJitter(rate: 1000, now: 0)
        for now in stride(from: UInt64(0), to: 1_000_000_000, by: 10_000_000) {
            _ = jitter.draw(at: now)
            #expect((now + 32_000_000...now + 96_000_000).contains(jitter.nextDraw))
        }
    }

    @Test func aRootSampleIsWeightedByThePeriodInForceWhenItWasTaken() {
        var jitter = PeriodJitter(rate: 100, now: 0)
        jitter.rootPeriodSet(9_000_000, at: 0)
        jitter.rootPeriodSet(11_000_000, at: 500)
        jitter.rootPeriodSet(12_000_000, at: 900)
        #expect(jitter.period(ofRootSampleAt: 499) == 9_000_000)
        #expect(jitter.period(ofRootSampleAt: 500) == 11_000_000)
        #expect(jitter.period(ofRootSampleAt: 2_000) == 12_000_000)
        jitter.forget(before: 700)
        #expect(jitter.period(ofRootSampleAt: 700) == 11_000_000)
        #expect(jitter.period(ofRootSampleAt: 950) == 12_000_000)
    }
}
