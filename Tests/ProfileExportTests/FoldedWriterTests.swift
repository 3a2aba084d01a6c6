import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

@Suite struct FoldedWriterTests {
    /// Parses folded text the way flamegraph.pl does: the count after the last space, frames split on `;`.
    private func parse(_ text: String) -> [(frames: [String], count: Int)] {
        text.split(separator: "\n").map { line in
            let space = line.lastIndex(of: " ")!
            return (line[..<space].split(separator: ";").map(String.init), Int(line[line.index(after: space)...])!)
        }
    }

    @Test func writesOneLinePerStackRootedAtTheExecutable() {
        let lines = parse(FoldedWriter.write(SampleProfile.twoThreads))
        #expect(lines.allSatisfy { $0.frames.first == "work" })
        #expect(lines.reduce(0) { $0 + $1.count } == 6)
        #expect(lines.contains { $0.frames == ["work", "main", "hot"] && $0.count == 3 })
        #expect(lines.contains { $0.frames == ["work", "main", "Work.cold(x: Swift.Int) -> ()"] && $0.count == 1 })
        #expect(lines.contains { $0.frames == ["work", "helper", "hot"] && $0.count == 2 })
    }

    /// The wall variant (`*.wall.folded`) counts wall time in microseconds, stacks only off the CPU included.
    @Test func theWallVariantCountsWallMicroseconds() {
        let lines = parse(FoldedWriter.write(SampleProfile.withWall, wall: true))
        #expect(lines.contains { $0.frames == ["work", "main", "hot"] && $0.count == 35_000 })
        #expect(lines.contains { $0.frames == ["work", "helper", "poll"] && $0.count == 70_000 })
        #expect(!parse(FoldedWriter.write(SampleProfile.withWall)).contains { $0.frames.last == "poll" }, "the CPU variant has no blocked stack")
    }

    /// The lost samples' entry is no process's: its line is its one frame, not that frame under a root of its name.
    @Test func lostSamplesAreOneFrameOfTheirOwn() {
        var profile = SampleProfile.twoThreads
        profile.processes.append(.lostSamples(cpuTime: 30_000_000, count: 3))
        let lines = parse(FoldedWriter.write(profile))
        #expect(lines.filter { $0.frames.contains(ProcessProfile.lostSamplesName) }.map(\.frames) == [[ProcessProfile.lostSamplesName]])
        #expect(lines.contains { $0.frames == ["[lost samples]"] && $0.count == 3 })
    }

    @Test func keepsSemicolonsOutOfFrameNames() {
        var profile = SampleProfile.twoThreads
        profile.processes[0].threads[0].stacks[0].frames[0].name = "a;b\nc"
        let text = FoldedWriter.write(profile)
        #expect(text.contains("work;main;a:b c 3\n"))
    }

    @Test func writesNothingForAnEmptyProfile() {
        var profile = SampleProfile.twoThreads
        profile.processes = []
        #expect(FoldedWriter.write(profile).isEmpty)
    }
}
