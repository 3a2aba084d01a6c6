@testable import Sampling
import Testing

@Suite struct FallingBehindTests {
    private func taking(_ count: Int, _ behind: inout FallingBehind) {
        for _ in 0..<count { behind.recordTaken() }
    }

    @Test func aFewMissesAmongManyAreNoise() {
        var behind = FallingBehind(rate: 1000, cause: "why")
        taking(1000, &behind)
        #expect(behind.recordMissed(30, now: 0) == nil, "30 of 1030 is under 5 %")
    }

    @Test func warnsWhenMoreThanOneInTwentyIsMissedInTheSummarysWords() {
        var behind = FallingBehind(rate: 100, cause: "the kernel dropped them")
        taking(100, &behind)
        behind.recordLost(2)
        #expect(behind.recordMissed(9, now: 0) == nil, "fewer than ten misses")
        #expect(behind.recordMissed(1, now: 0) == "profiler is behind the requested rate of 100.0 Hz: so far 100 samples taken, 12 lost "
            + "(10 of them missed while the profiler was behind the requested rate) (the kernel dropped them); try a lower --rate")
        #expect(behind.run.samplesText == "100 samples taken, 12 lost (10 of them missed while the profiler was behind the requested rate)")
    }

    @Test func saysItAgainAtMostOncePerIntervalWithTheCountsSoFar() {
        var behind = FallingBehind(rate: 100, cause: "why")
        #expect(behind.recordMissed(10, now: 0) != nil)
        #expect(behind.recordMissed(50, now: FallingBehind.interval - 1) == nil, "within the interval")
        #expect(behind.recordMissed(1, now: FallingBehind.interval)?.contains("so far 0 samples taken, 61 lost (61 of them missed") == true)
        #expect(behind.recordMissed(0, now: 3 * FallingBehind.interval) == nil, "nothing more missed since")
    }
}
