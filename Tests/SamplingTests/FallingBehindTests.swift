@testable import Sampling
import Testing

@Suite struct FallingBehindTests {
    @Test func aFewMissesAmongManyAreNoise() {
        var behind = FallingBehind(rate: 1000)
        #expect(behind.record(due: 1000, missed: 0) == nil)
        #expect(behind.record(due: 30, missed: 30) == nil, "30 of 1030 is under 5 %")
    }

    @Test func warnsOnceWhenMoreThanOneInTwentyIsMissed() {
        var behind = FallingBehind(rate: 100)
        #expect(behind.record(due: 100, missed: 0) == nil)
        #expect(behind.record(due: 9, missed: 9) == nil, "fewer than ten misses")
        #expect(behind.record(due: 1, missed: 1) == "profiler is behind the requested rate of 100.0 Hz; 10 of 110 samples missed (try a lower --rate)")
        #expect(behind.record(due: 50, missed: 50) == nil, "said once")
    }
}
