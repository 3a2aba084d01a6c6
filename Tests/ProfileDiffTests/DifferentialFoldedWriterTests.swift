import ProfileDiff
import ProfilerTestSupport
import Testing

@Suite struct DifferentialFoldedWriterTests {
    /// Parses `stack BASE NEW` lines as flamegraph.pl does: the two counts after the last two spaces.
    private func parse(_ text: String) -> [String: (base: Int, new: Int)] {
        var result: [String: (Int, Int)] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            result[fields.dropLast(2).joined(separator: " ")] = (Int(fields[fields.count - 2])!, Int(fields[fields.count - 1])!)
        }
        return result
    }

    @Test func scalesBaseToNewsTotal() {
        let lines = parse(DifferentialFoldedWriter.write(base: SampleProfile.knownShares(grows: 250, rest: 750),
                                                        new: SampleProfile.knownShares(grows: 800, rest: 1000, other: 200)))
        #expect(lines["app;main;grows"]! == (500, 800))
        #expect(lines["app;main;rest;leaf"]! == (1500, 1000))
        #expect(lines["app;main;other"]! == (0, 200))
        #expect(lines.count == 3)
    }
}
