import Foundation
import GzipCoding
import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

@Suite struct PprofReaderTests {
    @Test func readsBackWhatTheEncoderWrote() throws {
        let file = try PprofReader.read(PprofEncoder.encode(SampleProfile.twoThreads, sampleLabels: ["span_id": "00f067aa0ba902b7"]))
        #expect(file.sampleTypes == ["samples/count", "cpu/nanoseconds"])
        let profile = file.profile
        #expect(profile.totalSamples == 6)
        #expect(profile.sampleWeight == 10_000_000)
        #expect(profile.startTime == SampleProfile.twoThreads.startTime && profile.endTime == SampleProfile.twoThreads.endTime)
        let process = try #require(profile.processes.first)
        #expect(profile.processes.count == 1 && process.pid == 42 && process.executableName == "work")
        #expect(process.threads.map(\.tid) == [42, 43])
        #expect(process.threads.map(\.name) == ["work", "helper; \"quoted\""])
        #expect(Set(profile.namedStacks()) == Set(SampleProfile.twoThreads.namedStacks()))
        let cold = try #require(process.threads[0].stacks.first { $0.count == 1 }?.frames.first)
        #expect(cold.symbolName == "$s4Work4cold1xySi_tF" && cold.address == 0x1300)
    }

    /// A Go-like profile made by the official Python profile_pb2: no labels, no `samples/count`, a location with
    /// an inlined function, one without any line, uncompressed.
    @Test func readsAForeignProfileWithInliningAndNoLabels() throws {
        let script = """
            import sys
            sys.path.insert(0, sys.argv[1])
            import profile_pb2
            p = profile_pb2.Profile()
            p.string_table.extend(["", "cpu", "nanoseconds", "main.work", "main.inlined", "main.main", "/bin/app"])
            p.sample_type.add(type=1, unit=2)
            p.period_type.type, p.period_type.unit, p.period = 1, 2, 10000000
            p.mapping.add(id=1, memory_start=0x400000, memory_limit=0x500000, file_offset=0, filename=6)
            for i, name in [(1, 3), (2, 4), (3, 5)]:
                p.function.add(id=i, name=name, system_name=name)
            p.location.add(id=1, mapping_id=1, address=0x401000).line.extend([profile_pb2.Line(function_id=2), profile_pb2.Line(function_id=1)])
            p.location.add(id=2, mapping_id=1, address=0x402000).line.add(function_id=3)
            p.location.add(id=3, mapping_id=1, address=0x403000)
            p.sample.add(location_id=[1, 2], value=[30000000])
            p.sample.add(location_id=[3, 2], value=[10000000])
            open(sys.argv[2], "wb").write(p.SerializeToString())
            """
        let file = try PprofReader.read(try ExternalTool.pprofMadeByPython(script))
        #expect(file.sampleTypes == ["cpu/nanoseconds"])
        #expect(Set(file.profile.namedStacks()) == [
            Profile.NamedStack(names: ["main.main", "main.work", "main.inlined"], count: 3),
            Profile.NamedStack(names: ["main.main", "app+0x3000"], count: 1),
        ])
    }

    /// A count rounded down to 0 (CPU time under half a period) is still CPU time: a run read back must add up.
    @Test func keepsAStackWithCPUTimeButACountRoundedToZero() throws {
        var profile = SampleProfile.twoThreads
        profile.processes[0].threads[1].stacks.append(
            StackCount(frames: [Frame(address: 0x1500, mapping: 0, name: "short", symbolName: nil)], count: 0, cpuTime: 3_000_000))
        let read = try PprofReader.read(PprofEncoder.encode(profile)).profile
        let cpuTime = read.processes.flatMap(\.threads).flatMap(\.stacks).reduce(Int64(0)) { $0 + $1.cpuTime }
        #expect(cpuTime == 63_000_000)
    }

    @Test func saysTruncatedForAFileCutShort() throws {
        let bytes = PprofEncoder.encode(SampleProfile.twoThreads)
        #expect(throws: PprofReadError.truncated) { try PprofReader.read(Array(bytes.prefix(bytes.count - 10))) }
    }

    @Test func refusesWhatIsNotAProfile() throws {
        let raw = try Gzip.decompress(PprofEncoder.encode(SampleProfile.twoThreads), limit: PprofReader.inflateLimit)
        for bytes in [Array("root;main;hot 3\n".utf8), [], Gzip.compress(Array("{\"profiles\": []}".utf8)), Array(raw.prefix(raw.count / 2))] {
            #expect {
                try PprofReader.read(bytes)
            } throws: { error in
                guard case PprofReadError.notPprof = error else { return false }
                return true
            }
        }
    }

    /// Zeros inflating to one byte more than 256 MiB, far more than any real profile (and than a CI runner should
    /// spend on one): refused, not inflated up to gzip's general 1 GiB limit.
    @Test func refusesAGzipBombJustAboveTheInflateLimit() throws {
        let bomb = try ExternalTool.gzippedZeros(count: 256 << 20 + 1)
        #expect(throws: PprofReadError.notPprof("the data inflates to more than 268435456 bytes")) { try PprofReader.read(bomb) }
    }

    /// Read as a profile, a `pprof -diff_base` output's negative counts would vanish.
    @Test func refusesNegativeSampleValues() throws {
        #expect(throws: PprofReadError.negativeSampleValues) { try PprofReader.read(try ExternalTool.pprofDiffMadeByPython()) }
    }

    /// Values a hostile file may hold: each is one `notPprof`, never a trap or an allocation the file cannot justify.
    @Test(arguments: [
        // a cpu value of 2^63 - 1 at period 1, with no samples/count type: the count does not fit
        ("p.sample.add(location_id=[1], value=[2**63 - 1])", "a sample's value is out of range"),
        // two counts of 2^63 - 1 (through a samples/count type): their sum does not fit
        ("p.sample_type.add(type=4, unit=5); [p.sample.add(location_id=[1], value=[1, 2**63 - 1]) for _ in range(2)]", "the sample counts overflow"),
        // one location of 100 lines, named 1,000 times by one sample: 100,000 frames from a few KB of file
        ("p.location[0].line.extend([profile_pb2.Line(function_id=1)] * 99); p.sample.add(location_id=[1] * 1000, value=[1])",
         "a stack deeper than 65536 frames"),
    ])
    func refusesValuesThatDoNotFit(samples: String, reason: String) throws {
        let script = """
            import sys
            sys.path.insert(0, sys.argv[1])
            import profile_pb2
            p = profile_pb2.Profile()
            p.string_table.extend(["", "cpu", "nanoseconds", "f", "samples", "count"])
            p.sample_type.add(type=1, unit=2)
            p.period = 1
            p.time_nanos = 2**63 - 10
            p.duration_nanos = 1000
            p.function.add(id=1, name=3)
            p.location.add(id=1, line=[profile_pb2.Line(function_id=1)])
            \(samples)
            open(sys.argv[2], "wb").write(p.SerializeToString())
            """
        let bytes = try ExternalTool.pprofMadeByPython(script)
        #expect(throws: PprofReadError.notPprof(reason)) { try PprofReader.read(bytes) }
    }

    @Test func refusesAProfileWithoutCPUTime() throws {
        let script = """
            import sys
            sys.path.insert(0, sys.argv[1])
            import profile_pb2
            p = profile_pb2.Profile()
            p.string_table.extend(["", "alloc_space", "bytes"])
            p.sample_type.add(type=1, unit=2)
            open(sys.argv[2], "wb").write(p.SerializeToString())
            """
        let bytes = try ExternalTool.pprofMadeByPython(script)
        #expect(throws: PprofReadError.noCPUSampleType(sampleTypes: ["alloc_space/bytes"])) { try PprofReader.read(bytes) }
    }
}
