import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

struct ProfileSummaryTests {
    @Test func theWallHeadlineListsProcessesOnlyWhenThereAreSome() {
        let listed = ProfileSummary.lines(SampleProfile.withWall)
        let headline = listed.firstIndex { $0.hasPrefix("wall: ") && $0.contains("of thread time") }
        #expect(headline.map { listed[$0].hasSuffix("; per process:") && listed[$0 + 1].hasPrefix("  work[42]  wall ") } == true, "\(listed)")

        var waitedForNothing = SampleProfile.withWall
        waitedForNothing.processes = []
        let bare = ProfileSummary.lines(waitedForNothing)
        #expect(bare.contains { $0.hasPrefix("wall: ") && $0.hasSuffix("running unsampled 0.0 s)") }, "\(bare)")
        #expect(!bare.contains { $0.contains("per process") }, "\(bare)")
    }

    /// Spans are summed by name, the most samples first; samples without a span count in the share's whole only.
    @Test func spansAreListedByNameWithTheirShareOfSamples() {
        var profile = SampleProfile.twoThreads
        let copy = SpanLabels(traceID: String(repeating: "ab", count: 16), spanID: "0000000000000001", name: "COPY orders")
        profile.processes[0].threads[0].stacks[0].span = copy
        profile.processes[0].threads[0].stacks[1].span = SpanLabels(traceID: copy.traceID, spanID: "0000000000000002", name: nil)
        profile.processes[0].threads[1].stacks[0].span = SpanLabels(traceID: copy.traceID, spanID: "0000000000000003", name: "COPY orders")
        let lines = ProfileSummary.lines(profile)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("spans: ") }) else {
            Issue.record("no span lines: \(lines)")
            return
        }
        // 3 + 2 of 6 samples in "COPY orders" (two spans), 1 in the unnamed span: all 6 in spans.
        #expect(Array(lines[start...].prefix(3)) == [
            "spans: 100.0 % of samples ran in spans their threads published; top spans by CPU:",
            "  83.3%  5  COPY orders  (2 spans)",
            "  16.7%  1  span 0000000000000002  (1 span)",
        ])
        #expect(!ProfileSummary.lines(SampleProfile.twoThreads).contains { $0.hasPrefix("spans: ") }, "no span published, no span lines")

        var withWall = SampleProfile.withWall
        withWall.processes[0].threads[0].stacks[0].span = copy
        #expect(ProfileSummary.lines(withWall).contains("  50.0%  3  COPY orders  (1 span)  wall 0.04 s"))
    }

    /// Samples whose published span could not be read are counted by cause, only the causes that occurred named.
    @Test func spansThatCouldNotBeReadAreCountedByCause() {
        var profile = SampleProfile.twoThreads
        #expect(!ProfileSummary.lines(profile).contains { $0.contains("kept the root span") })
        profile.statistics.spanReadFailures = SpanReadFailures(refusedRecords: 3, unknownThreads: 2)
        #expect(ProfileSummary.lines(profile).contains(
            "spans: 5 samples of threads in processes that publish spans kept the root span: 3 records refused (not valid, no ids, "
                + "or too large), 2 threads not in glibc's thread list"))
        var later = SampleProfile.twoThreads
        later.statistics.spanReadFailures = SpanReadFailures(unlocatedVariables: 1, recordsChangedWhileRead: 4)
        #expect(profile.merged(with: later).statistics.spanReadFailures
            == SpanReadFailures(refusedRecords: 3, unlocatedVariables: 1, unknownThreads: 2, recordsChangedWhileRead: 4))
    }

    /// Lost samples' CPU time is in no thread's wall time, so it is not taken from the off-CPU share; records the kernel
    /// dropped from the side-band buffers are said to be records, not samples, and for the wall profile what they cost.
    @Test func lostRecordsAreNamedForWhatTheyAre() {
        let unlost = ProfileSummary.lines(SampleProfile.withWall)
        var lossy = SampleProfile.withWall
        lossy.processes.append(.lostSamples(cpuTime: 30_000_000, count: 3))
        lossy.statistics.lostCPUTime = 30_000_000
        lossy.statistics.sideBandRecordsLost = 1234
        lossy.statistics.sideBandLossTime = 2_500_000_000
        let lines = ProfileSummary.lines(lossy)
        // 145 ms of wall time, 60 ms of it on the CPU in the threads' stacks.
        #expect(lines.contains { $0.hasPrefix("wall: 0.15 s of thread time, 58.6 % off-CPU") }, "\(lines)")
        #expect(unlost.contains { $0.hasPrefix("wall: 0.15 s of thread time, 58.6 % off-CPU") }, "\(unlost)")
        #expect(lines.contains("profile: 1234 records of context switches, forks, execs, exits and mappings lost from full buffers over 2.5 s "
            + "of the CPUs' time: no samples, no CPU time counted for them"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("wall: context-switch records lost over 2.5 s: ") }, "\(lines)")
        #expect(!unlost.contains { $0.contains("records lost") || $0.contains("records of") }, "\(unlost)")
    }
}
