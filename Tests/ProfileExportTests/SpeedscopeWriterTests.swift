import Foundation
import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

@Suite struct SpeedscopeWriterTests {
    /// The file format's rules (speedscope's documented `FileFormat.File` and `SampledProfile`), checked on the
    /// parsed JSON: what speedscope's importer needs to load the file.
    @Test func followsTheSpeedscopeFileFormat() throws {
        let json = SpeedscopeWriter.write(SampleProfile.twoThreads)
        let file = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(file["$schema"] as? String == "https://www.speedscope.app/file-format-schema.json")
        #expect(file["name"] is String && file["exporter"] is String)
        let frames = try #require((file["shared"] as? [String: Any])?["frames"] as? [[String: Any]])
        #expect(frames.allSatisfy { $0["name"] is String && ($0["file"] == nil || $0["file"] is String) })
        let profiles = try #require(file["profiles"] as? [[String: Any]])
        #expect(!profiles.isEmpty)
        let activeIndex = try #require(file["activeProfileIndex"] as? Int)
        #expect(profiles.indices.contains(activeIndex))
        for profile in profiles {
            #expect(profile["type"] as? String == "sampled")
            #expect(profile["name"] is String)
            #expect(["none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"].contains(profile["unit"] as? String ?? ""))
            let samples = try #require(profile["samples"] as? [[Int]])
            let weights = try #require(profile["weights"] as? [Int])
            #expect(samples.count == weights.count)
            #expect(samples.allSatisfy { $0.allSatisfy { frames.indices.contains($0) } })
            let start = try #require(profile["startValue"] as? Int), end = try #require(profile["endValue"] as? Int)
            #expect(end - start == weights.reduce(0, +))
        }
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

    /// The lost samples' profile is named by what it is, not as an entry of 0 processes and a thread of its name.
    @Test func theLostSamplesProfileIsNamedLostSamples() throws {
        var profile = SampleProfile.twoThreads
        profile.processes.append(.lostSamples(cpuTime: 30_000_000, count: 3))
        let json = SpeedscopeWriter.write(profile)
        let file = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let profiles = try #require(file["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["name"] as? String ?? "" } == ["work (pid 42) work (tid 42)", "work (pid 42) helper; \"quoted\" (tid 43)", "[lost samples]"])
        #expect(profiles.last?["endValue"] as? Int == 30_000_000)

        var withWall = SampleProfile.withWall
        withWall.processes.append(.lostSamples(cpuTime: 30_000_000, count: 3))
        let wallFile = try #require(try JSONSerialization.jsonObject(with: Data(SpeedscopeWriter.write(withWall).utf8)) as? [String: Any])
        let names = try #require(wallFile["profiles"] as? [[String: Any]]).map { $0["name"] as? String ?? "" }
        #expect(names.filter { $0.hasPrefix("[lost samples]") } == ["[lost samples]"], "no empty wall profile for lost samples: \(names)")
    }

    /// `--wall`: each thread's wall profile follows its CPU ones, weighted in nanoseconds of wall time; a stack only
    /// off the CPU is in the wall profile only.
    @Test func aWallProfileFollowsEachThreadsCPUProfile() throws {
        let json = SpeedscopeWriter.write(SampleProfile.withWall)
        let file = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let frames = try #require((file["shared"] as? [String: Any])?["frames"] as? [[String: Any]]).map { $0["name"] as? String ?? "" }
        let profiles = try #require(file["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["name"] as? String ?? "" } == [
            "work (pid 42) work (tid 42)", "work (pid 42) helper; \"quoted\" (tid 43)",
            "work (pid 42) work (tid 42) wall", "work (pid 42) helper; \"quoted\" (tid 43) wall",
        ])
        let helperCPU = try #require(profiles[1]["samples"] as? [[Int]])
        let helperWall = try #require(profiles[3]["samples"] as? [[Int]])
        #expect(!helperCPU.contains { $0.last.map { frames[$0] } == "poll" })
        #expect(helperWall.contains { $0.last.map { frames[$0] } == "poll" })
        #expect(profiles[3]["weights"] as? [Int] == [25_000_000, 70_000_000])
    }
}
