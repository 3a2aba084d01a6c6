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

    @Test func countsIdenticalStacks() {
        var counter = StackCounter()
        counter.add([1, 2, 3])
        counter.add([1, 2, 3])
        counter.add([4, 2, 3], count: 5)
        #expect(counter.counts == [[1, 2, 3]: 2, [4, 2, 3]: 5])
        #expect(counter.totalSamples == 7)
    }
}
