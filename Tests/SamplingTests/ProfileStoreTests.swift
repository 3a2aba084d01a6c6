@testable import Sampling
import Testing

@Suite struct ProfileStoreTests {
    private func store() -> ProfileStore {
        ProfileStore(fallingBehind: FallingBehind(rate: 100, cause: "test"), recordsTimeline: false)
    }

    /// Lost samples whose CPU time no later sample carries (perf events) add it to the window's lost CPU time; those a
    /// thread's next sample makes up for (ptrace) do not; the next window starts from none.
    @Test func countsTheCPUTimeOfLostSamplesPerWindow() {
        let store = store()
        _ = store.recordMissed(3, cpuTime: 30_000_000)
        store.recordLost(cpuTime: 12_000_000)
        store.recordLost(2)
        _ = store.recordMissed(4)
        let window = store.take()
        #expect(window.statistics.samplesLost == 10)
        #expect(window.statistics.lostCPUTime == 42_000_000)
        #expect(store.take().statistics.lostCPUTime == 0)
    }
}
