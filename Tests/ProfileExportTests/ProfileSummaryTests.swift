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
}
