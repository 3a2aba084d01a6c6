@testable import Sampling
import Testing

/// The perf-event reader's cadence without `--wall` (``PerfSampler/passInterval(bufferCapacity:stackCopySize:rate:)``).
struct PassIntervalTests {
    /// After a pass a buffer still holds the samples of the write allowance (10 ms, applied next time); by the next pass
    /// it holds that and an interval more, and must keep an interval's room again for a reader that is late, at the
    /// highest rate a period draw gives. The interval is the longest that allows (at most 100 ms): shorter costs the
    /// reader a wake-up a pass for nothing.
    @Test(arguments: [(4 << 20, 1000.0), (4 << 20, 4000.0), (1 << 20, 1000.0), (512 << 10, 1000.0), (4 << 20, 100.0), (4 << 20, 10.0)])
    func leavesARoomForALateReaderAsLongAsTheInterval(capacity: Int, rate: Double) {
        let stackCopySize = 32768
        let interval = Double(PerfSampler.passInterval(bufferCapacity: capacity, stackCopySize: stackCopySize, rate: rate))
        func fits(_ milliseconds: Double) -> Bool {
            (10 + 2 * milliseconds) / 1000 * rate * (1 + PeriodJitter.spread) * Double(stackCopySize + 512) <= Double(capacity)
        }
        #expect(fits(interval), "\(interval) ms")
        #expect(interval == 100 || !fits(interval + 1), "\(interval) ms is shorter than it need be")
    }

    @Test func aBufferTooSmallForTheAllowanceIsReadEveryMillisecond() {
        #expect(PerfSampler.passInterval(bufferCapacity: 64 << 10, stackCopySize: 32768, rate: 1000) == 1)
    }
}
