import Profiles
import ProfilerTestSupport
import Testing

@Suite struct SampleTimelineTests {
    static func sample(_ time: Int64, tid: Int32 = 1) -> SampleTimeline.Sample {
        SampleTimeline.Sample(time: time, pid: 1, tid: tid, addresses: [0x10, 0x20])
    }

    @Test func keepsSamplesInOrderUpToItsCapacityAndCountsTheRest() {
        var timeline = SampleTimeline()
        for time in 0..<Int64(SampleTimeline.capacity + 3) { timeline.append(Self.sample(time)) }
        #expect(timeline.samples.count == SampleTimeline.capacity)
        #expect(timeline.dropped == 3)
        #expect(timeline.samples.first?.time == 0 && timeline.samples.last?.time == Int64(SampleTimeline.capacity - 1))
    }

    @Test func mergingWindowsAppendsTheirTimelines() {
        var first = SampleTwoWindows.first
        var second = SampleTwoWindows.second
        first.timeline.append(Self.sample(1))
        second.timeline.append(Self.sample(2, tid: 43))
        second.timeline.append(Self.sample(3))
        let merged = first.merged(with: second)
        #expect(merged.timeline.samples.map(\.time) == [1, 2, 3])
        #expect(merged.timeline.samples.map(\.tid) == [1, 43, 1])
        #expect(merged.timeline.dropped == 0)
    }

    @Test func aCounterHandsBackItsOwnCopyOfAStack() {
        var counter = StackCounter()
        let first = counter.add([1, 2, 3], cpuTime: 1)
        let again = counter.add(Array([1, 2, 3]), cpuTime: 1)
        #expect(again == [1, 2, 3])
        let sameStorage = first.withUnsafeBufferPointer { a in again.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        #expect(sameStorage, "a stack seen again is not kept twice")
        #expect(counter.cpuTimes == [RawStack([1, 2, 3]): 2])
    }
}

/// Two windows of the same process, as `ProfileCollector` merges them.
enum SampleTwoWindows {
    static let first = SampleProfile.twoThreads
    static var second: Profile {
        var later = SampleProfile.twoThreads
        later.startTime = first.endTime
        later.endTime = first.endTime + 1_000_000_000
        return later
    }
}
