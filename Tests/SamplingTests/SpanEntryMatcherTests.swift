import Glibc
import Profiles
@testable import Sampling
import Testing

/// The kernel program's entries and the samples they were read for arrive apart; each sample must take its own
/// entry, whatever the kernel dropped in between, and nothing must be held past the samples that could take it.
@Suite struct SpanEntryMatcherTests {
    private static func span(_ id: Int) -> SpanLabels {
        SpanLabels(traceID: String(repeating: "ab", count: 16), spanID: String(repeating: "0\(id)", count: 8), name: "s\(id)")
    }

    @Test func eachSampleTakesItsOwnEntryWhicheverWasTimedFirst() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        matcher.add(tid: 7, time: 1_003, span: Self.span(1))
        matcher.add(tid: 7, time: 1_998, span: Self.span(2))
        matcher.add(tid: 8, time: 1_500, span: Self.span(3))
        #expect(matcher.span(tid: 7, sampledAt: 1_000) == Self.span(1))
        #expect(matcher.span(tid: 8, sampledAt: 1_501) == Self.span(3))
        #expect(matcher.span(tid: 7, sampledAt: 2_000) == Self.span(2))
    }

    @Test func anEntryWhoseSampleWasDroppedIsPassedOver() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        for (time, id) in [(1_000, 1), (2_000, 2), (3_000, 3)] { matcher.add(tid: 7, time: UInt64(time), span: Self.span(id)) }
        #expect(matcher.span(tid: 7, sampledAt: 1_001) == Self.span(1))
        #expect(matcher.span(tid: 7, sampledAt: 3_001) == Self.span(3))
    }

    @Test func aSampleWithoutAnEntryTakesNoOthers() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        matcher.add(tid: 7, time: 1_000, span: Self.span(1))
        matcher.add(tid: 7, time: 3_000, span: Self.span(3))
        #expect(matcher.span(tid: 7, sampledAt: 1_000) == Self.span(1))
        #expect(matcher.span(tid: 7, sampledAt: 2_000) == nil, "its entry is missing: neither neighbour is its")
        #expect(matcher.span(tid: 7, sampledAt: 3_000) == Self.span(3))
        #expect(matcher.span(tid: 9, sampledAt: 3_000) == nil)
    }

    /// A thread sampled on one CPU, then on another right after it migrated: two samples within the tolerance.
    @Test func twoSamplesCloserThanTheToleranceEachTakeTheNearest() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        matcher.add(tid: 7, time: 1_002, span: Self.span(1))
        matcher.add(tid: 7, time: 1_101, span: Self.span(2))
        #expect(matcher.span(tid: 7, sampledAt: 1_000) == Self.span(1))
        #expect(matcher.span(tid: 7, sampledAt: 1_100) == Self.span(2))
    }

    @Test func aRefusedRecordGivesNoSpanAndIsTaken() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        matcher.add(tid: 7, time: 1_000, span: nil)
        matcher.add(tid: 7, time: 2_000, span: Self.span(2))
        #expect(matcher.span(tid: 7, sampledAt: 1_000) == nil)
        #expect(matcher.span(tid: 7, sampledAt: 2_000) == Self.span(2))
    }

    /// Entries held only while a sample may still take them: a sample applied next can be timed up to the tolerance
    /// after its entry, so an entry that close to the bound stays; threads with none left are dropped.
    @Test func forgettingKeepsWhatASampleAppliedNextCanTakeAndNothingElse() {
        var matcher = SpanEntryMatcher(tolerance: 200)
        for (tid, time, id) in [(7, 1_000, 1), (8, 4_900, 2), (9, 2_000, 3)] { matcher.add(tid: pid_t(tid), time: UInt64(time), span: Self.span(id)) }
        #expect(matcher.span(tid: 9, sampledAt: 2_000) == Self.span(3))
        matcher.forget(before: 5_000)
        #expect(matcher.threadCount == 1)
        #expect(matcher.span(tid: 8, sampledAt: 5_050) == Self.span(2))
        #expect(matcher.span(tid: 7, sampledAt: 1_000) == nil)
        #expect(matcher.threadCount == 0)
    }
}
