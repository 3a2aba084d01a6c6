import Profiles
import ProfilerTestSupport
import Testing

@Suite struct ProfileTests {
    @Test func ranksFunctionsBySelfTime() {
        let ranked = SampleProfile.twoThreads.functionsBySelfTime()
        #expect(ranked.first == Profile.FunctionTime(name: "hot", selfSamples: 5, totalSamples: 5))
        #expect(ranked.first { $0.name == "main" } == Profile.FunctionTime(name: "main", selfSamples: 0, totalSamples: 4))
        #expect(SampleProfile.twoThreads.totalSamples == 6)
    }

    @Test func addsUpTheCPUTimeOfIdenticalStacks() {
        var counter = StackCounter()
        counter.add([1, 2, 3], cpuTime: 10)
        counter.add([1, 2, 3], cpuTime: 15)
        counter.add([4, 2, 3], cpuTime: 5)
        #expect(counter.cpuTimes == [[1, 2, 3]: 25, [4, 2, 3]: 5])
    }

    @Test func mergingAddsCountsAndCPUTimes() {
        let twice = SampleProfile.twoThreads.merged(with: SampleProfile.twoThreads)
        #expect(twice.totalSamples == 12)
        #expect(twice.totalCPUTime == 2 * SampleProfile.twoThreads.totalCPUTime)
        #expect(SampleProfile.twoThreads.totalCPUTime == 60_000_000)
    }
}
