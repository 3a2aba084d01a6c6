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
