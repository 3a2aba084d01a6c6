import Binaries
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

    /// A thread gone before the sampler learnt its name (its records dropped under load, its `/proc` entry gone) is
    /// sampled with an empty name; its later samples must not erase the name an earlier one had.
    @Test func aSampleWithoutAThreadNameKeepsTheNameSeenBefore() {
        let store = store()
        let image = store.addImage(pid: 7, executablePath: "/bin/work", modules: ModuleMap(modules: []))
        let names = ["work", "worker-0", "", "worker-0b", ""]
        for (index, name) in names.enumerated() {
            store.add(stack: [0x1000], cpuTime: 1, imageID: image, tid: 8, time: Int64(index)) { name }
        }
        #expect(store.take().images.first?.threads[8]?.name == "worker-0b")
    }

    /// An exited process's image is given up with the window after its exit: a sample that comes later (by cgroup, one
    /// taken in its exit) is not taken into an image no window will hold, and says so for its caller to count it lost.
    @Test func aSampleForAnImageGivenUpIsNotTaken() {
        let store = store()
        let image = store.addImage(pid: 7, executablePath: "/bin/work", modules: ModuleMap(modules: []))
        #expect(store.add(stack: [0x1000], cpuTime: 1, imageID: image, tid: 7, time: 0) { "work" })
        store.imageExited(image)
        #expect(store.take().statistics.samplesTaken == 1)
        #expect(!store.add(stack: [0x1000], cpuTime: 1, imageID: image, tid: 7, time: 1) { "work" })
        let window = store.take()
        #expect(window.statistics.samplesTaken == 0 && window.images.isEmpty)
    }
}
