import Foundation
import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

@Suite struct SpeedscopeWriterTests {
    @Test func validatesAgainstTheSpeedscopeSchema() throws {
        let json = SpeedscopeWriter.write(SampleProfile.twoThreads)
        let schema = Fixture.sourceDirectory.appendingPathComponent("speedscope-file-format-schema.json").path
        let python = try ExternalTool.python(with: "jsonschema")
        let script = "import json, sys, jsonschema; jsonschema.validate(json.load(sys.stdin), json.load(open(sys.argv[1])))"
        let result = try ExternalTool.run(python, ["-c", script, schema], input: Data(json.utf8))
        #expect(result.status == 0, "\(result.standardError)")
    }

    @Test func writesOneSampledProfilePerThreadWithRootFirstStacks() throws {
        let json = SpeedscopeWriter.write(SampleProfile.twoThreads)
        let file = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let frames = try #require((file["shared"] as? [String: Any])?["frames"] as? [[String: Any]]).map { $0["name"] as? String }
        let profiles = try #require(file["profiles"] as? [[String: Any]])
        #expect(profiles.count == 2)
        let first = profiles[0]
        #expect(first["unit"] as? String == "nanoseconds")
        let samples = try #require(first["samples"] as? [[Int]])
        let weights = try #require(first["weights"] as? [Int])
        #expect(samples.map { $0.map { frames[$0] } }.contains(["main", "hot"]))
        #expect(weights.reduce(0, +) == 4 * 10_000_000)
        #expect(first["endValue"] as? Int == 4 * 10_000_000)
        #expect((profiles[1]["name"] as? String)?.contains("helper; \"quoted\"") == true)
    }
}
